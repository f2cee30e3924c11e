// Errors of approving and locking down; the HTTP layer maps each code to one status.
import { MailwardenError } from '../errors.ts';
import type { EvidenceEvent, EvidenceLog } from '../evidence/index.ts';

export class ApprovalError extends MailwardenError<'APPROVAL_REFUSED' | 'NOT_FOUND' | 'EVIDENCE_UNAVAILABLE'> {
  override readonly name = 'ApprovalError';
}

/**
 * Evidence of a decision step, written before the step takes effect. SECURITY: a log that cannot be written
 * stops the step (fail closed); `stopped` says what did not happen.
 */
export async function evidenceFirst(
  evidence: Pick<EvidenceLog, 'append'>,
  event: EvidenceEvent,
  stopped = 'nothing was decided',
): Promise<void> {
  try {
    await evidence.append(event);
  } catch (err) {
    throw new ApprovalError('EVIDENCE_UNAVAILABLE', `the evidence log cannot be written; ${stopped} (fail closed)`, {
      cause: err,
    });
  }
}

/** A refused statement: the refusal is evidenced (which reason, whose statement), then reported. */
export async function refuseStatement(
  evidence: Pick<EvidenceLog, 'append'>,
  refusal: { readonly approver: string | null; readonly reason: string; readonly message: string },
  proposalId?: string,
): Promise<never> {
  await evidenceFirst(evidence, {
    type: 'approval_refused',
    ...(proposalId ? { proposalId } : {}),
    data: { reason: refusal.reason, approver: refusal.approver },
  });
  throw new ApprovalError('APPROVAL_REFUSED', refusal.message);
}
