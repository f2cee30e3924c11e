// Turns a stored proposal into the contract's proposal view and HTTP status.
import { ProposalErrorSchema, type ProposalView, submissionHttpStatus } from '../../shared/index.ts';
import type { ProposalRecord } from './service.ts';

export function toView(rec: ProposalRecord): ProposalView {
  const { row, decision } = rec;
  const error = row.error ? ProposalErrorSchema.parse(JSON.parse(row.error)) : undefined;
  return {
    id: row.id,
    hash: row.hash,
    action: row.action,
    status: row.status,
    decision: { effect: decision.effect, rules: [...decision.rules], message: decision.message },
    createdAt: row.created_at,
    ...(row.expires_at && (row.status === 'pending_approval' || row.status === 'approved')
      ? { expiresAt: row.expires_at }
      : {}),
    ...(row.result !== null ? { result: JSON.parse(row.result) as unknown } : {}),
    ...(error ? { error } : {}),
    correlationId: row.correlation_id,
  };
}

/** HTTP status of a proposal answer right after submission, as the contract fixes it. */
export function submissionStatus(view: ProposalView): 200 | 202 | 403 | 502 | 504 {
  return submissionHttpStatus(view.status, view.error?.code);
}
