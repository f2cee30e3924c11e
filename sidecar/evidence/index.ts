// The evidence domain's public surface: the durable signed log, its verifier and CLI, sinks and keys.
export { type CliIo, type EvidenceCliPaths, evidenceVerifyCommand } from './cli.ts';
export { EvidenceError, type EvidenceErrorCode } from './errors.ts';
export { type EvidenceRecord, GENESIS_PREV, RECORD_DOMAIN } from './format.ts';
export { type EvidenceFsOps, nodeFsOps } from './fs-ops.ts';
export { generateEvidenceKeys, parseEd25519PublicKey } from './keys.ts';
export { type EvidenceReader, nodeReader } from './layout.ts';
export {
  type FindProposalEvidenceOptions,
  type FoundEvidence,
  findProposalEvidence,
  type ProposalEvidence,
} from './lookup.ts';
export { DEFAULT_CHECKPOINT_EVERY, DEFAULT_ROTATE, type OpenEvidenceLogOptions, openEvidenceLog } from './open.ts';
export { createCommandSink, createDirectorySink } from './sinks.ts';
export type {
  CheckpointSink,
  EvidenceEvent,
  EvidenceLog,
  EvidenceLogEvent,
  EvidenceReceipt,
  EvidenceType,
  ExportedCheckpoint,
} from './types.ts';
export {
  type BadRecord,
  type PasskeyRecheck,
  type ProposalTrail,
  type TamperReason,
  type TrailRecord,
  type VerifyEvidenceOptions,
  type VerifyReport,
  type VerifySummary,
  verifyEvidence,
} from './verify.ts';
export type { EvidenceLogHandle } from './writer.ts';
