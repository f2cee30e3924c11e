// The sidecar's core without sockets: proposals, approvals and (given an owner) the content and outbound guard.
import { type ApproverKeyring, createDecisionVerifier, createExecutionCheck } from '../approval/index.ts';
import type { EvidenceLog } from '../evidence/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import { createGuard } from '../guard/index.ts';
import { createLockdown } from '../lockdown/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import { createProposalService, type ProposalServiceDeps, timeOrderedId } from '../proposals/index.ts';
import type { StateDb } from '../state/index.ts';

export interface CoreDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  readonly executor: GogExecutor;
  readonly evidence: EvidenceLog;
  readonly keyring: ApproverKeyring;
  readonly now: () => Date;
  readonly skewSeconds: number;
  /** The mailbox owner; with it, the content and outbound guard runs on every proposal. */
  readonly owner?: string;
  readonly newId?: () => string;
  /** Told (not awaited) when a proposal starts waiting for an approver (the notification sinks). */
  readonly pending?: ProposalServiceDeps['onPending'];
  readonly onError?: (err: unknown, context: string) => void;
}

export function createCore(deps: CoreDeps) {
  // Built leaf first: lockdown and the approval checks need nothing else, the guard needs the lockdown state,
  // and the proposal life cycle uses them all.
  const lockdown = createLockdown({
    db: deps.db,
    policy: deps.policy,
    evidence: deps.evidence,
    now: deps.now,
    keyring: deps.keyring,
    skewSeconds: deps.skewSeconds,
  });
  const guard = deps.owner
    ? createGuard({
        db: deps.db,
        policy: deps.policy,
        executor: deps.executor,
        owner: deps.owner,
        now: deps.now,
        lockdown: (principal) => lockdown.state(principal),
      })
    : null;
  const proposals = createProposalService({
    db: deps.db,
    policy: deps.policy,
    executor: deps.executor,
    evidence: deps.evidence,
    now: deps.now,
    newId: deps.newId ?? (() => timeOrderedId()),
    lockdown,
    guard: guard
      ? { facts: { gather: guard.gather }, execution: guard.execution, describe: (row) => guard.describe(row) }
      : undefined,
    approvals: createExecutionCheck({ db: deps.db, policy: deps.policy, keyring: deps.keyring }),
    decisions: createDecisionVerifier({
      db: deps.db,
      policy: deps.policy,
      keyring: deps.keyring,
      now: deps.now,
      skewSeconds: deps.skewSeconds,
    }),
    ...(deps.pending ? { onPending: deps.pending } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  // What the operator socket offers for decisions: signed decisions and cards (the life cycle), lockdowns.
  const approvals = { decide: proposals.applyDecision, card: proposals.card, lockdown: lockdown.applyStatement };
  return { proposals, approvals, lockdown, guard };
}

export type Core = ReturnType<typeof createCore>;
