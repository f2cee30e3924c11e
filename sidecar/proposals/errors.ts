// Errors of the proposal life cycle; the HTTP layer maps each code to one status.
import { MailwardenError } from '../errors.ts';

export type ProposalErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'NOT_PENDING'
  | 'EVIDENCE_UNAVAILABLE'
  | 'POLICY_EVALUATION_FAILED'
  | 'STATE_TAMPERED'
  | 'STATE_BUSY';

export class ProposalError extends MailwardenError<ProposalErrorCode> {
  override readonly name = 'ProposalError';
}
