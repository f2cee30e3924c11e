// The sidecar's core without sockets: proposals, approvals and (given an owner) the content and outbound guard.
import { randomUUID } from 'node:crypto';
import { type ApproverKeyring, createApprovalService, createExecutionCheck } from '../approval/index.ts';
import type { EvidenceLog } from '../evidence/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import { createGuard } from '../guard/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import { createLockdownStore, createProposalService, type ProposalServiceDeps } from '../proposals/index.ts';
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
  /** Told (not awaited) when a proposal starts waiting for an approver. */
  /** Told when a proposal starts waiting for approval (the notification sinks). */
  readonly pending?: ProposalServiceDeps['onPending'];
  readonly onError?: (err: unknown, context: string) => void;
}

export function createCore(deps: CoreDeps) {
  // Built leaf first: the lockdown store and the execution-time approval check need nothing else, the guard
  // needs the lockdown state, the proposals need guard and check, the approvals apply decisions to proposals.
  const lockdowns = createLockdownStore(deps.db);
  const guard = deps.owner
    ? createGuard({
        db: deps.db,
        policy: deps.policy,
        executor: deps.executor,
        owner: deps.owner,
        now: deps.now,
        lockdown: (principal) => lockdowns.state(principal),
      })
    : null;
  const proposals = createProposalService({
    db: deps.db,
    policy: deps.policy,
    executor: deps.executor,
    evidence: deps.evidence,
    now: deps.now,
    newId: deps.newId ?? (() => randomUUID()),
    lockdowns,
    guard: guard ? { facts: { gather: guard.gather }, execution: guard.execution } : undefined,
    approvals: createExecutionCheck({ db: deps.db, policy: deps.policy, keyring: deps.keyring }),
    ...(deps.pending ? { onPending: deps.pending } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  const approvals = createApprovalService({
    db: deps.db,
    policy: deps.policy,
    proposals,
    keyring: deps.keyring,
    evidence: deps.evidence,
    now: deps.now,
    skewSeconds: deps.skewSeconds,
    ...(guard ? { describe: (row) => guard.describe(row) } : {}),
  });
  return { proposals, approvals, guard };
}

export type Core = ReturnType<typeof createCore>;
