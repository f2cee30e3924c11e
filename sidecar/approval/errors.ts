// Errors of approving and locking down; the HTTP layer maps each code to one status.
import { MailwardenError } from '../errors.ts';

export class ApprovalError extends MailwardenError<'APPROVAL_REFUSED' | 'NOT_FOUND' | 'EVIDENCE_UNAVAILABLE'> {
  override readonly name = 'ApprovalError';
}
