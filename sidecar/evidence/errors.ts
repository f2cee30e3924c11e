// The evidence domain's error codes: thrown for broken invariants (tampering found at start, unusable log).
import { MailwardenError } from '../errors.ts';

export type EvidenceErrorCode =
  | 'EVIDENCE_TAMPERED'
  | 'EVIDENCE_UNAVAILABLE'
  | 'EVIDENCE_CLOSED'
  | 'EVIDENCE_INVALID_EVENT'
  | 'EVIDENCE_KEY_INVALID'
  | 'EVIDENCE_SINK_FAILED';

export class EvidenceError extends MailwardenError<EvidenceErrorCode> {
  override readonly name = 'EvidenceError';
}
