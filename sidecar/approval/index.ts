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
export type { ApprovalService, ApprovalServiceDeps, PasskeyDecision } from './service.ts';
export { ApprovalError, createApprovalService } from './service.ts';
export type { StatementCheck, StatementRefusal } from './statements.ts';
export { newNonce, signStatement, verifyStatement } from './statements.ts';
export {
  createSignCounts,
  PASSKEY_PREFIX,
  type PasskeyAssertion,
  PasskeyAssertionSchema,
  type PasskeyCheck,
  type PasskeyCredential,
  PasskeyCredentialSchema,
  type PasskeyRefusal,
  type PasskeyVerifyOptions,
  readPasskeyCredential,
  type SignCounts,
  verifyPasskeyDecision,
} from './webauthn.ts';
