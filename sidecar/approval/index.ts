// Approvals: approver keys, signed statements, and applying decisions with quorum and binding.

export { createExecutionCheck, quorumOf } from './execution-check.ts';
export type { ApprovalMode, ApproverKeyring } from './keys.ts';
export {
  ApproverKeyError,
  createReloadingKeyring,
  generateApproverKeyPair,
  loadApproverKeyring,
  loadSigningKey,
} from './keys.ts';
export type { ApprovalService, ApprovalServiceDeps } from './service.ts';
export { ApprovalError, createApprovalService } from './service.ts';
export type { StatementCheck, StatementRefusal } from './statements.ts';
export { newNonce, signStatement, verifyStatement } from './statements.ts';
