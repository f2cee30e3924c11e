// Approvals: approver keys, signed statements, and turning a decision into an Approval or a Refusal (quorum
// included). Applying it to a proposal is the proposal life cycle's business.

export {
  type Approval,
  createDecisionVerifier,
  type DecisionSubject,
  type DecisionVerifier,
  type PasskeyDecision,
  type Refusal,
  type Verdict,
} from './decisions.ts';
export { ApprovalError, evidenceFirst, refuseStatement } from './errors.ts';
export { createExecutionCheck, type ExecutionSubject, quorumOf } from './execution-check.ts';
export type { ApprovalMode, ApproverKeyring } from './keys.ts';
export {
  ApproverKeyError,
  createReloadingKeyring,
  generateApproverKeyPair,
  loadApproverKeyring,
  loadSigningKey,
} from './keys.ts';
export { createNonceStore, type NonceStore } from './nonces.ts';
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
