// The sidecar's core without sockets: proposals, approvals and (given an owner) the content and outbound guard.
import { randomUUID } from 'node:crypto';
import { type ApproverKeyring, createApprovalService } from '../approval/index.ts';
import type { EvidenceLog } from '../evidence/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import { createGuard } from '../guard/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import { createProposalService, type ProposalHooks } from '../proposals/index.ts';
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
  readonly pending?: ProposalHooks['pending'];
  readonly onError?: (err: unknown, context: string) => void;
}

export function createCore(deps: CoreDeps) {
  const guard = deps.owner
    ? createGuard({ db: deps.db, policy: deps.policy, executor: deps.executor, owner: deps.owner, now: deps.now })
    : null;
  let approvals: ReturnType<typeof createApprovalService> | null = null;
  const proposals = createProposalService({
    db: deps.db,
    policy: deps.policy,
    executor: deps.executor,
    evidence: deps.evidence,
    now: deps.now,
    newId: deps.newId ?? (() => randomUUID()),
    hooks: {
      ...(guard ? guard.hooks : {}),
      // INVARIANT: execution re-verifies the stored signatures; approvals exists before anything executes.
      verifyApprovals: (row, hash) => approvals!.verifyForExecution(row, hash),
      ...(deps.pending ? { pending: deps.pending } : {}),
    },
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  approvals = createApprovalService({
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
