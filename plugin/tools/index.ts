// The runtime-neutral tool layer every plugin flavour builds on.
export type { FormattedResult, ToolOutcome } from './format-result.ts';
export { formatClientFailure, formatToolResult } from './format-result.ts';
export type {
  ActionTool,
  ActionToolName,
  StatusTool,
  ToolDefinition,
  ToolName,
  ToolProfile,
} from './tool-definitions.ts';
export {
  findTool,
  MAX_WAIT_SECONDS,
  ProposalIdSchema,
  STATUS_TOOL_NAME,
  StatusParamsSchema,
  TOOL_DEFINITIONS,
  TOOL_NAME_BY_ACTION,
  TOOL_NAMES,
  toolParametersJsonSchema,
} from './tool-definitions.ts';
export type { ToolHints, ToolOutput } from './tool-output.ts';
export { ToolOutcomeSchema, toolHints, toolOutput, toolOutputSchema } from './tool-output.ts';
export type { ToolCallContext, ToolRunner, ToolRunnerOptions, ToolRunResult } from './tool-runner.ts';
export { createToolRunner } from './tool-runner.ts';
export type { CatalogState } from './visible-tools.ts';
export { catalogState, loadCatalogState, selectVisibleTools } from './visible-tools.ts';
