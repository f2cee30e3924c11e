// The gog backend: argv planning, the executor, baked-profile checks and gog's own config.
export type { GogPolicyEffect, GogSchemaView } from './baked-profile.ts';
export { bakedProfileBlocks, compareBakedProfile, gogCommandPaths, probeGogSchema } from './baked-profile.ts';
export { GOG_COMMANDS, type GogCommand, gogCommand } from './commands.ts';
export { readGogDraft } from './draft-reader.ts';
export type { GogExecutorDeps } from './executor.ts';
export { BACKOFF_BASE_MS, createGogExecutor, isReadAction, READ_ATTEMPTS } from './executor.ts';
export { codeForExit, GOG_EXIT, gogErrorLine } from './exit-codes.ts';
export type { FakeGogHomeOptions } from './fake-gog-home.ts';
export { DEMO_MAILBOX, FAKE_GOG_BINARY, prepareFakeGogHome } from './fake-gog-home.ts';
export type { GogConfigFile, GogConfigSync } from './gog-config.ts';
export { gogConfigFor, gogConfigPath, syncGogConfig } from './gog-config.ts';
export type { GogVersionCheck, GogVersionVerdict } from './gog-version.ts';
export { checkGogVersion, judgeGogVersion, SUPPORTED_GOG } from './gog-version.ts';
export { GogOutputError } from './normalise.ts';
export {
  attachmentOutPath,
  baseFlags,
  GogPlanError,
  globalFlags,
  normaliseOutput,
  planGogCall,
} from './plan.ts';
export { gogEnv } from './run-process.ts';
export type {
  DraftRead,
  GogConfig,
  GogErrorCode,
  GogExecutor,
  GogOutcome,
  GogPlan,
  GogRunInfo,
} from './types.ts';
