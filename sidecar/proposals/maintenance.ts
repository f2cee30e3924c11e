// Time and restarts: expiry of waiting proposals, recovery after a crash, resuming approved work.
import type { Effect } from '../../shared/index.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { ProposalRepository, ProposalRow } from './repository.ts';

export interface MaintenanceDeps {
  readonly repo: ProposalRepository;
  /** Every state change goes through the life cycle's transitions. */
  readonly life: Lifecycle;
  readonly now: () => string;
  readonly execute: (id: string) => Promise<void>;
  readonly effectOf: (row: ProposalRow) => Effect;
}

export function createMaintenance(deps: MaintenanceDeps) {
  /** Pending proposals past their TTL and approved ones past their execution window expire unexecuted. */
  async function expireDue(): Promise<number> {
    const due = deps.repo.dueForExpiry(deps.now());
    let n = 0;
    for (const row of due) {
      const event = {
        type: 'proposal_expired',
        proposalId: row.id,
        principal: row.principal,
        data: { from: row.status },
      } as const;
      if (await deps.life.move(row.id, 'expire', event)) n++;
    }
    return n;
  }

  /** At start-up: anything claimed but not finished may have run; it is never run again. */
  async function recoverAfterCrash(): Promise<string[]> {
    const ids: string[] = [];
    for (const row of deps.repo.claimed()) {
      // At start nothing has happened since the crash: a log that cannot be written stops the start.
      await deps.life.finish(
        row,
        {
          status: 'outcome_unknown',
          error: {
            code: 'OUTCOME_UNKNOWN',
            message:
              'mailwarden stopped while this was executing; it will not be retried. Check the mailbox to see whether it happened',
          },
          evidence: {
            type: 'outcome_unknown',
            proposalId: row.id,
            principal: row.principal,
            data: { reason: 'restart_after_claim' },
          },
        },
        { evidence: 'required' },
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
