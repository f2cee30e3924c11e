// Time and restarts: expiry of waiting proposals, recovery after a crash, resuming approved work.
import type { Effect } from '../../shared/index.ts';
import type { EvidenceEvent } from '../evidence/index.ts';
import type { ProposalRepository, ProposalRow } from './repository.ts';

export interface MaintenanceDeps {
  readonly repo: ProposalRepository;
  readonly now: () => string;
  /** Evidence that must be written before state changes (fails closed). */
  readonly record: (event: EvidenceEvent) => Promise<void>;
  /** Evidence whose failure must not stop the state change (the fact already happened). */
  readonly recordSafely: (event: EvidenceEvent) => Promise<void>;
  readonly emit: (id: string) => void;
  readonly execute: (id: string) => Promise<void>;
  readonly effectOf: (row: ProposalRow) => Effect;
}

export function createMaintenance(deps: MaintenanceDeps) {
  /** Pending proposals past their TTL and approved ones past their execution window expire unexecuted. */
  async function expireDue(): Promise<number> {
    const due = deps.repo.dueForExpiry(deps.now());
    let n = 0;
    for (const row of due) {
      await deps.recordSafely({
        type: 'proposal_expired',
        proposalId: row.id,
        principal: row.principal,
        data: { from: row.status },
      });
      if (deps.repo.transition(row.id, row.status, 'expired', deps.now())) {
        n++;
        deps.emit(row.id);
      }
    }
    return n;
  }

  /** At start-up: anything claimed but not finished may have run; it is never run again. */
  async function recoverAfterCrash(): Promise<string[]> {
    const ids: string[] = [];
    for (const row of deps.repo.claimed()) {
      await deps.record({
        type: 'outcome_unknown',
        proposalId: row.id,
        principal: row.principal,
        data: { reason: 'restart_after_claim' },
      });
      deps.repo.markOutcomeUnknown(
        row.id,
        deps.now(),
        JSON.stringify({
          code: 'OUTCOME_UNKNOWN',
          message:
            'mailwarden stopped while this was executing; it will not be retried. Check the mailbox to see whether it happened',
        }),
      );
      ids.push(row.id);
    }
    return ids;
  }

  /**
   * At start-up, after recovery: proposals the owner approved but that never started (the sidecar stopped
   * between the approval and the claim) run now, once, if their execution window is still open.
   */
  async function resumeApproved(): Promise<string[]> {
    // Only what a person approved: an allowed proposal that never started was answered with an error.
    const ids = deps.repo.approvedUnclaimed(deps.now()).filter((id) => {
      const row = deps.repo.get(id);
      return row !== null && deps.effectOf(row) === 'approve';
    });
    for (const id of ids) await deps.execute(id);
    return ids;
  }

  return { expireDue, recoverAfterCrash, resumeApproved };
}
