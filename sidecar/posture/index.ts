// Posture: observes file modes, owners, uids, sockets and gog to say how far the boundary really holds.
export type { Access, Principal, Tri } from './access.ts';
export { canAccess, canReplaceEntry, formatMode } from './access.ts';
export { FILE_KINDS, type FileKind } from './check-files.ts';
export { SEND_BLOCKING_PROFILES } from './check-gog.ts';
export type { CheckStatus, RatedCheck } from './rated-check.ts';
export { createRealProbes, type RealProbeOptions } from './real-probes.ts';
export { collectChecks, postureMode, runPosture } from './run-posture.ts';
export {
  checkStartupFileModes,
  formatStartupProblems,
  type StartupIdentity,
  type StartupModesResult,
  type StartupPaths,
  type StartupProblem,
} from './startup-modes.ts';
export { summarisePosture } from './summarise.ts';
export type {
  FileStat,
  GogAuthProbe,
  GogSchemaProbe,
  PostureInput,
  PostureProbes,
  Probed,
  UserInfo,
} from './types.ts';
export { GogAuthProbeSchema, GogSchemaProbeSchema } from './types.ts';
