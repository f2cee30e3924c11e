// Every way a proposal's state may change, in one table. The repository builds its only UPDATE statements from
// it, so a change the table does not list cannot be made, and a final status is never left.
import type { ProposalStatus } from '../../shared/index.ts';

/** Where an approved proposal's execution stands: not started, claimed (gog may be running), or settled. */
export type ExecState = 'none' | 'claimed' | 'done';

/**
 * When the transition's evidence is written, relative to the state change:
 * - `before`: first, and a failure to write it stops the change (nothing happens that is not evidenced);
 * - `before_best_effort`: first, but the change happens anyway (time passed, or the side effect already did);
 * - `after`: the change is the at-most-once lock itself (the claim); its evidence follows it.
 */
export type EvidenceOrder = 'before' | 'before_best_effort' | 'after';

export interface TransitionSpec {
  readonly from: readonly ProposalStatus[];
  readonly fromExec: readonly ExecState[];
  readonly to: ProposalStatus;
  readonly toExec: ExecState;
  readonly evidence: EvidenceOrder;
  /** Fsynced before returning (with everything before it): only what must survive a power cut. */
  readonly durable: boolean;
}

/** The statuses a proposal is created in, by its decision. */
export const INITIAL_STATUSES = ['denied', 'pending_approval', 'approved'] as const satisfies readonly ProposalStatus[];

export const TRANSITIONS = {
  /** The agent withdraws its own waiting proposal. */
  cancel: {
    from: ['pending_approval'],
    fromExec: ['none'],
    to: 'cancelled',
    toExec: 'none',
    evidence: 'before',
    durable: false,
  },
  /** An approver said no. */
  reject: {
    from: ['pending_approval'],
    fromExec: ['none'],
    to: 'rejected',
    toExec: 'none',
    evidence: 'before',
    durable: false,
  },
  /** Quorum reached: it may now run, within the execution window. */
  approve: {
    from: ['pending_approval'],
    fromExec: ['none'],
    to: 'approved',
    toExec: 'none',
    evidence: 'before',
    durable: false,
  },
  /** Waited past its TTL, or approved but not started within the execution window. */
  expire: {
    from: ['pending_approval', 'approved'],
    fromExec: ['none'],
    to: 'expired',
    toExec: 'none',
    evidence: 'before_best_effort',
    durable: false,
  },
  /** INVARIANT: true for exactly one caller per proposal, ever; the side effect runs only after it. */
  claim: {
    from: ['approved'],
    fromExec: ['none'],
    to: 'approved',
    toExec: 'claimed',
    evidence: 'after',
    durable: true,
  },
  executed: {
    from: ['approved'],
    fromExec: ['claimed'],
    to: 'executed',
    toExec: 'done',
    evidence: 'before_best_effort',
    durable: false,
  },
  /** Refused before gog ran, or gog reported a clean failure: nothing was changed. */
  failed: {
    from: ['approved'],
    fromExec: ['claimed'],
    to: 'failed',
    toExec: 'done',
    evidence: 'before_best_effort',
    durable: false,
  },
  /** Claimed, and gog may or may not have made the change: never run again, never called failed. */
  unknown: {
    from: ['approved'],
    fromExec: ['claimed'],
    to: 'outcome_unknown',
    toExec: 'done',
    evidence: 'before_best_effort',
    durable: false,
  },
  /** State holds an open proposal whose history evidence lacks or contradicts (reconciled at start). */
  reconcile: {
    from: ['pending_approval', 'approved'],
    fromExec: ['none', 'claimed'],
    to: 'outcome_unknown',
    toExec: 'done',
    evidence: 'before',
    durable: true,
  },
} as const satisfies Record<string, TransitionSpec>;

export type TransitionName = keyof typeof TRANSITIONS;

/** The transition that settles a claimed proposal in `status`. */
export const SETTLE_BY_STATUS = {
  executed: 'executed',
  failed: 'failed',
  outcome_unknown: 'unknown',
} as const satisfies Record<string, TransitionName>;
