// Builds OpenClaw tool objects from the shared tool definitions and one runner.
import type { ToolDefinition, ToolRunner } from '../../tools/index.ts';
import { toolParametersJsonSchema } from '../../tools/index.ts';
import type { HostTool, HostToolContext } from './host-types.ts';

export function createOpenClawTool(tool: ToolDefinition, runner: ToolRunner, ctx: HostToolContext = {}): HostTool {
  const parameters = toolParametersJsonSchema(tool);
  const sessionId = ctx.sessionId ?? ctx.sessionKey;
  return {
    name: tool.name,
    label: tool.label,
    description: tool.description,
    parameters,
    async execute(toolCallId, params, signal) {
      const result = await runner.run(tool.name, params, { toolCallId, sessionId, signal });
      // The host reads `status`/`ok`/`error` at the top of details as the call's outcome, so ours sit under a key.
      return {
        content: [{ type: 'text', text: result.text }],
        details: {
          mailwarden: {
            outcome: result.outcome,
            isError: result.isError,
            ...(result.proposalId !== undefined ? { proposalId: result.proposalId } : {}),
            ...(result.httpStatus !== undefined ? { httpStatus: result.httpStatus } : {}),
            ...(result.correlationId !== undefined ? { correlationId: result.correlationId } : {}),
            ...(result.rules !== undefined ? { rules: result.rules } : {}),
          },
        },
      };
    },
  };
}
