// The one owner of the proposal life cycle: submit → decide → [approve] → execute → record.
import {
  ACTION_CLASS,
  type ActionName,
  FINAL_STATUSES,
  type ProposalRequest,
  type ProposalStatus,
  type Sha256Digest,
} from '../../shared/index.ts';
import {
  ApprovalError,
  type DecisionVerifier,
  evidenceFirst,
  type PasskeyDecision,
  type Refusal,
  refuseStatement,
} from '../approval/index.ts';
import { MailwardenError } from '../errors.ts';
import type { EvidenceEvent, EvidenceLog } from '../evidence/index.ts';
import type { GogExecutor, GogOutcome } from '../exec/index.ts';
import { createLockdown, type Lockdown } from '../lockdown/index.ts';
import { type CompiledPolicy, type Decision, decide, type Facts } from '../policy/index.ts';
import { createWriteBatch, isBusyError, type StateDb } from '../state/index.ts';
import { ProposalError } from './errors.ts';
import { createLifecycle, type Outcome } from './lifecycle.ts';
import { createMaintenance } from './maintenance.ts';
import { createProposalRepository, type ProposalRow } from './repository.ts';
import { type StoredProposal, sealProposal, unsealProposal } from './stored-proposal.ts';
import { toView } from './view.ts';

export type Preflight =
  | { readonly ok: true; settle(succeeded: boolean): void }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Facts for the decision, gathered once at submission (guard/facts.ts). */
export interface FactsSource {
  gather(p: StoredProposal): Promise<{ facts: Facts; card: Record<string, unknown>; draftDigest?: Sha256Digest }>;
}

/** The content controls around one execution (guard/guard.ts). */
export interface ExecutionControls {
  /** The send-cap reservation, taken after the claim and before gog. */
  preflight(p: StoredProposal): Preflight;
  /** What was approved is still what will leave (the draft against its sealed digest). */
  recheck(
    p: StoredProposal,
    bound: Sha256Digest | undefined,
  ): Promise<{ ok: true } | { ok: false; code: string; message: string }>;
  /** The params gog is given (read bounds applied), or a result that makes the call needless. */
  prepare(p: StoredProposal): { params: StoredProposal['params'] } | { result: unknown };
  /** Filters what gog returned before anyone sees or stores it. */
  filter(p: StoredProposal, result: unknown): unknown;
}

/** Re-verifies the stored approvals against the re-computed hash just before executing (approval/). */
export type ApprovalCheck = (row: ProposalRow, hash: string) => Promise<{ ok: true } | { ok: false; reason: string }>;

/** With no guard (no owner configured), facts are the lockdown alone and execution runs unfiltered. */
const PASS_THROUGH: ExecutionControls = {
  preflight: () => ({ ok: true, settle() {} }),
  recheck: async () => ({ ok: true }),
  prepare: (p) => ({ params: p.params }),
  filter: (_p, result) => result,
};

export interface ProposalServiceDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  readonly executor: GogExecutor;
  readonly evidence: EvidenceLog;
  readonly now: () => Date;
  readonly newId: () => string;
  /** The content and outbound guard: facts before deciding, controls around executing, and the card's facts. */
  readonly guard?:
    | {
        readonly facts: FactsSource;
        readonly execution: ExecutionControls;
        readonly describe?: (row: ProposalRow) => Record<string, unknown>;
      }
    | undefined;
  readonly approvals: ApprovalCheck;
  /** Turns signed decisions into approvals or refusals (approval/); without it no decision can be made. */
  readonly decisions?: DecisionVerifier;
  /** A proposal now waits for an approver (tell the owner). Not awaited; it must return at once. */
  readonly onPending?: (p: StoredProposal, decision: Decision, expiresAt: string) => void;
  /** Shared with whoever else reads lockdown state (the guard's facts), so both see one cache. */
  readonly lockdown?: Lockdown;
  readonly onError?: (err: unknown, context: string) => void;
}

export interface ProposalRecord {
  readonly row: ProposalRow;
  readonly decision: Decision;
}

export function createProposalService(deps: ProposalServiceDeps) {
  const repo = createProposalRepository(deps.db);
  const writes = createWriteBatch(deps.db);
  const lockdown: Lockdown =
    deps.lockdown ?? createLockdown({ db: deps.db, policy: deps.policy, evidence: deps.evidence, now: deps.now });
  const controls = deps.guard?.execution ?? PASS_THROUGH;
  const life = createLifecycle({
    repo,
    evidence: deps.evidence,
    now: () => deps.now().toISOString(),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  const { record, recordSafely } = life;

  function decisionOf(row: ProposalRow): Decision {
    return JSON.parse(row.decision) as Decision;
  }

  /** Evidence of a request refused at the edge for its params: which field, never the value. */
  async function rejectInput(principal: string, action: ActionName, field: string, code: string): Promise<void> {
    await record({ type: 'proposal_rejected_input', principal, data: { action, field, code } });
  }

  /** Facts for a proposal; without a guard, only the lockdown in force. */
  async function factsFor(p: StoredProposal) {
    if (deps.guard) return deps.guard.facts.gather(p);
    const facts: Facts = {
      guarded: false,
      lockdown: lockdown.state(p.principal),
      internalDomains: [],
      recipients: null,
      taint: { readExternal: false, readCodes: [] },
      capHeadroom: null,
    };
    return { facts, card: {} };
  }

  /** A proposal validated at the edge: its params are typed by its action and are not checked again. */
  async function submit(principal: string, request: ProposalRequest): Promise<ProposalRecord> {
    const createdAt = deps.now();
    const { justification, session, correlationId, ...typed } = request;
    const draft: StoredProposal = {
      ...typed,
      v: 1,
      id: deps.newId(),
      principal,
      ...(justification !== undefined ? { justification } : {}),
      ...(session !== undefined ? { session } : {}),
      correlationId: correlationId ?? deps.newId(),
      createdAt: createdAt.toISOString(),
    };
    // Facts first, then one pure decision on them; what a send will carry beyond its params is sealed in.
    const gathered = await factsFor(draft);
    const stored: StoredProposal = gathered.draftDigest
      ? { ...draft, bound: { draftDigest: gathered.draftDigest } }
      : draft;
    const sealed = sealProposal(stored);
    const verdict = decide(deps.policy, stored, gathered.facts);
    if (!verdict.ok) {
      await record({
        type: 'decision',
        proposalId: stored.id,
        principal,
        data: { action: stored.action, hash: sealed.hash, evaluatorError: verdict.error },
      });
      throw new ProposalError(
        'POLICY_EVALUATION_FAILED',
        `the policy could not be evaluated (${verdict.error}); nothing was done. The operator should run \`mailwarden policy check\``,
      );
    }
    const decision = verdict.decision;
    const status: ProposalStatus =
      decision.effect === 'deny' ? 'denied' : decision.effect === 'approve' ? 'pending_approval' : 'approved';
    // A pending proposal waits at most the approval TTL; an allowed one must start within the execution
    // window, so one that could not start (state locked) expires instead of running much later.
    const expiresAt =
      status === 'pending_approval'
        ? new Date(createdAt.getTime() + deps.policy.policy.approvals.ttlSeconds * 1000).toISOString()
        : status === 'approved'
          ? new Date(createdAt.getTime() + deps.policy.policy.approvals.executionWindowSeconds * 1000).toISOString()
          : null;

    // INVARIANT: evidence first, then state. A proposal never exists without its evidence.
    await record({
      type: 'proposal_submitted',
      proposalId: stored.id,
      principal,
      data: {
        action: stored.action,
        class: ACTION_CLASS[stored.action],
        hash: sealed.hash,
        // SECURITY: what the agent chose as text is blinded like addresses: linkable, never readable here.
        correlationId: correlationId === undefined ? stored.correlationId : deps.evidence.blind(stored.correlationId),
        session: stored.session ? deps.evidence.blind(stored.session.id) : null,
        effect: decision.effect,
        rules: [...decision.rules],
        policyDigest: decision.policyDigest,
        status,
      },
    });
    const at = stored.createdAt;
    const row: ProposalRow = {
      id: stored.id,
      principal,
      action: stored.action,
      status,
      canonical: sealed.canonical,
      hash: sealed.hash,
      // The facts the decision was made on, so the approval card shows them instead of re-reading.
      decision: JSON.stringify({ ...decision, facts: gathered.card }),
      policy_digest: decision.policyDigest,
      correlation_id: stored.correlationId,
      session_id: stored.session?.id ?? null,
      created_at: at,
      updated_at: at,
      expires_at: expiresAt,
      exec_state: 'none',
      claimed_at: null,
      result: null,
      error: null,
    };
    try {
      // Proposals of one event-loop turn share one commit; this one is stored when the promise resolves.
      await writes.run(() => repo.insert(row));
    } catch (err) {
      // The submission is already in evidence; say in evidence too that it never reached state.
      await recordSafely({
        type: 'proposal_aborted',
        proposalId: stored.id,
        principal,
        data: { reason: isBusyError(err) ? 'state_busy' : 'state_error' },
      });
      if (isBusyError(err)) {
        throw new ProposalError(
          'STATE_BUSY',
          'the state database is locked by another process; nothing was done, retry in a moment',
          { cause: err },
        );
      }
      throw err;
    }

    if (status === 'pending_approval') deps.onPending?.(stored, decision, expiresAt!);
    if (status === 'denied') await lockdown.noteDenial(principal);
    if (status !== 'approved') return { row, decision: decisionOf(row) };
    // An allowed proposal runs now; its answer is the row as the execution left it.
    await execute(stored.id);
    return load(stored.id)!;
  }

  /** Execute an approved proposal at most once. Safe to call concurrently and repeatedly. */
  async function execute(id: string): Promise<void> {
    const row = repo.get(id);
    if (row?.status !== 'approved' || row.exec_state !== 'none') return;
    const unsealed = unsealProposal(row.canonical, row.hash);
    const approvals = unsealed.ok ? await deps.approvals(row, row.hash) : { ok: true as const };
    // A read has no side effect to repeat, so its claim need not survive a power cut; every other claim is fsynced.
    if (!life.claim(id, ACTION_CLASS[row.action] !== 'read')) return;
    const outcome =
      !unsealed.ok || !approvals.ok
        ? tampered(row, !unsealed.ok ? unsealed.reason : approvals.ok ? '' : approvals.reason)
        : await run(row, unsealed.proposal);
    if (!(await life.finish(row, outcome))) {
      throw new ProposalError(
        'STATE_BUSY',
        `the action ran (${outcome.status}) and its outcome is in evidence, but the state database is locked by another process; read proposal ${id} again in a moment`,
      );
    }
  }

  /** Refused after the claim and before gog: nothing was changed, and it can never run later either. */
  function refused(row: ProposalRow, code: string, message: string, detail: Record<string, unknown> = {}): Outcome {
    return {
      status: 'failed',
      error: { code, message },
      evidence: {
        type: 'execution_finished',
        proposalId: row.id,
        principal: row.principal,
        data: { outcome: 'refused', code, ...detail },
      },
    };
  }

  /** Stored bytes that no longer hash to what was approved, or approvals that no longer verify. */
  function tampered(row: ProposalRow, reason: string): Outcome {
    return refused(row, 'STATE_TAMPERED', `refused to execute: ${reason}`, { reason });
  }

  /** The steps of one execution, each of which may end it: evidence, the approved content, caps, gog, filter. */
  async function run(row: ProposalRow, proposal: StoredProposal): Promise<Outcome> {
    try {
      await record({
        type: 'execution_started',
        proposalId: row.id,
        principal: row.principal,
        data: { action: proposal.action, hash: row.hash },
      });
    } catch (err) {
      // gog never ran; the claim is settled as a failure so it can never run later either.
      return refused(row, 'EVIDENCE_UNAVAILABLE', (err as Error).message);
    }
    // What was approved must still be what leaves: a changed draft is refused before anything is reserved.
    const recheck = await controls.recheck(proposal, proposal.bound?.draftDigest as Sha256Digest | undefined);
    if (!recheck.ok) return refused(row, recheck.code, recheck.message);
    const preflight = controls.preflight(proposal);
    if (!preflight.ok) return refused(row, preflight.code, preflight.message);
    let outcome: GogOutcome;
    try {
      const prepared = controls.prepare(proposal);
      outcome =
        'result' in prepared
          ? {
              ok: true,
              result: prepared.result,
              info: { exitCode: null, durationMs: 0, stdoutDigest: '', stderrDigest: '', attempts: 0 },
            }
          : await deps.executor.execute(proposal.action, prepared.params);
    } catch (err) {
      // A broken invariant inside the executor: the side effect may or may not have happened.
      deps.onError?.(err, 'executor');
      preflight.settle(false);
      return {
        status: 'outcome_unknown',
        error: {
          code: 'EXECUTOR_CRASHED',
          message: 'the executor failed unexpectedly; check the mailbox before retrying',
        },
        evidence: {
          type: 'outcome_unknown',
          proposalId: row.id,
          principal: row.principal,
          data: { reason: 'executor_crashed' },
        },
      };
    }
    // gog was stopped after it may have made the change: never "failed", which invites a retry.
    preflight.settle(outcome.ok || outcome.mayHaveRun === true);
    if (outcome.ok) {
      try {
        const visible = controls.filter(proposal, outcome.result);
        return {
          status: 'executed',
          result: JSON.stringify(visible),
          evidence: finished(row, 'executed', outcome),
        };
      } catch (err) {
        // SECURITY: what cannot be filtered is never shown; the call is reported as failed instead.
        deps.onError?.(err, 'result filter');
        const code = err instanceof MailwardenError ? err.code : 'RESULT_FILTER_FAILED';
        return {
          status: 'failed',
          error: {
            code,
            message: `the result was withheld because it could not be checked: ${(err as Error).message}`,
          },
          evidence: finished(row, 'failed', { ...outcome, code: 'GOG_BAD_OUTPUT' }),
        };
      }
    }
    if (outcome.mayHaveRun) {
      return {
        status: 'outcome_unknown',
        error: {
          code: outcome.code,
          message: `${outcome.message} gog did not finish cleanly, so the change may have been made: check the mailbox (e.g. Sent) before proposing it again; mailwarden will not repeat it.`,
        },
        evidence: finished(row, 'outcome_unknown', outcome),
      };
    }
    return {
      status: 'failed',
      error: { code: outcome.code, message: outcome.message },
      evidence: finished(row, 'failed', outcome),
    };
  }

  /** The evidence of a gog run: how it ended and digests of what it printed, never the output itself. */
  function finished(
    row: ProposalRow,
    how: 'executed' | 'failed' | 'outcome_unknown',
    outcome: { info: GogOutcome['info']; code?: string },
  ): EvidenceEvent {
    return {
      type: 'execution_finished',
      proposalId: row.id,
      principal: row.principal,
      data: {
        outcome: how,
        ...(how === 'executed' ? {} : { code: outcome.code }),
        exitCode: outcome.info.exitCode,
        attempts: outcome.info.attempts,
        durationMs: Math.round(outcome.info.durationMs),
        stdoutDigest: outcome.info.stdoutDigest,
        stderrDigest: outcome.info.stderrDigest,
      },
    };
  }

  function load(id: string): ProposalRecord | null {
    life.flush();
    const row = repo.get(id);
    return row ? { row, decision: decisionOf(row) } : null;
  }

  /** The caller's own proposal, or NOT_FOUND (someone else's proposal is indistinguishable from none). */
  function getOwn(principal: string, id: string): ProposalRecord {
    const rec = load(id);
    if (!rec || rec.row.principal !== principal) {
      throw new ProposalError('NOT_FOUND', `no proposal ${id} for this agent`);
    }
    return rec;
  }

  async function waitForChange(
    principal: string,
    id: string,
    seconds: number,
    signal?: AbortSignal,
  ): Promise<ProposalRecord> {
    let rec = getOwn(principal, id);
    const deadline = Date.now() + seconds * 1000;
    // Waiting past `approved` too: an approved proposal is executing, and the agent wants its outcome.
    while (!FINAL_STATUSES.has(rec.row.status) && Date.now() < deadline) {
      if (signal?.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(1000, Math.max(0, deadline - Date.now())));
        function done() {
          clearTimeout(timer);
          life.changes.off(id, done);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        life.changes.on(id, done);
        signal?.addEventListener('abort', done);
      });
      await expireDue();
      rec = getOwn(principal, id);
    }
    return rec;
  }

  async function cancel(principal: string, id: string): Promise<ProposalRecord> {
    const rec = getOwn(principal, id);
    if (rec.row.status !== 'pending_approval') {
      throw new ProposalError(
        'NOT_PENDING',
        `proposal ${id} is ${rec.row.status}; only a pending proposal can be cancelled`,
      );
    }
    const event = { type: 'proposal_cancelled', proposalId: id, principal, data: { by: principal } } as const;
    if (!(await life.move(id, 'cancel', event))) {
      throw new ProposalError('NOT_PENDING', `proposal ${id} changed while being cancelled; read it again`);
    }
    return getOwn(principal, id);
  }

  /** Evidence of a refused decision, then the refusal; nothing about the proposal changes. */
  const refuse = (proposalId: string, r: Refusal): Promise<never> => refuseStatement(deps.evidence, r, proposalId);

  /**
   * A signed decision on a waiting proposal: verified by approval/, then single-use, evidenced, kept; a
   * rejection ends the proposal, and the approval that completes the quorum starts its execution.
   */
  async function applyDecision(
    proposalId: string,
    statement: string | PasskeyDecision,
  ): Promise<{ proposalId: string; outcome: string }> {
    if (!deps.decisions) throw new ApprovalError('APPROVAL_REFUSED', 'no approvers are configured');
    const row = repo.get(proposalId);
    const verdict = await deps.decisions.verify(proposalId, row, statement);
    if (!verdict.ok) return refuse(proposalId, verdict.refusal);
    const approval = verdict.approval;
    await expireDue();
    const current = repo.get(proposalId)!;
    if (current.status !== 'pending_approval') {
      return refuse(proposalId, {
        approver: approval.approver,
        reason: 'not_pending',
        message: `decision refused: proposal ${proposalId} is ${current.status}, no longer pending`,
      });
    }
    const spent = deps.decisions.consume(approval);
    if (spent) return refuse(proposalId, spent);
    await evidenceFirst(deps.evidence, { type: 'approval_accepted', proposalId, data: approval.evidence });
    deps.decisions.store(proposalId, approval);
    if (approval.decision === 'reject') {
      const event = { type: 'proposal_rejected', proposalId, data: { by: approval.approver } } as const;
      await life.move(proposalId, 'reject', event);
      return { proposalId, outcome: 'rejected' };
    }
    const approvers = deps.decisions.approvers(proposalId);
    const needed = deps.decisions.quorum(current.action);
    if (approvers.length < needed) return { proposalId, outcome: `approved_by_${approvers.length}_of_${needed}` };
    const windowEnd = new Date(
      deps.now().getTime() + deps.policy.policy.approvals.executionWindowSeconds * 1000,
    ).toISOString();
    const approved = { type: 'proposal_approved', proposalId, data: { approvers, quorum: needed } } as const;
    if (await life.move(proposalId, 'approve', approved, { expiresAt: windowEnd })) await execute(proposalId);
    return { proposalId, outcome: repo.get(proposalId)?.status ?? 'approved' };
  }

  /** The approval card: the proposal as sealed, its integrity, its decisions so far, and the decided-on facts. */
  async function card(proposalId: string): Promise<Record<string, unknown>> {
    const rec = load(proposalId);
    if (!rec) throw new ApprovalError('NOT_FOUND', `no proposal ${proposalId}`);
    const unsealed = unsealProposal(rec.row.canonical, rec.row.hash);
    const stored = unsealed.ok ? unsealed.proposal : null;
    return {
      ...toView(rec),
      principal: rec.row.principal,
      class: ACTION_CLASS[rec.row.action],
      params: stored?.params ?? null,
      justification: stored?.justification ?? null,
      session: stored?.session ?? null,
      integrity: unsealed.ok ? 'ok' : `TAMPERED: ${unsealed.reason}`,
      approvals: deps.decisions?.list(proposalId) ?? [],
      quorum: deps.decisions?.quorum(rec.row.action) ?? 0,
      ...(deps.guard?.describe ? deps.guard.describe(rec.row) : {}),
    };
  }

  /** Proposals not yet final, oldest first by status: what start-up holds against evidence. */
  function openRows(): ProposalRow[] {
    const all = Number.MAX_SAFE_INTEGER;
    return [...repo.list('pending_approval', all), ...repo.list('approved', all)];
  }

  /**
   * At start, before anything runs: an open proposal whose evidence contradicts state (a restored backup, a
   * hand-edited row, evidence that is gone) ends as outcome unknown, evidence first. False if it moved on.
   */
  function reconcile(row: ProposalRow, event: EvidenceEvent, error: { code: string; message: string }) {
    return life.move(row.id, 'reconcile', event, { error: JSON.stringify(error) });
  }

  const { expireDue, recoverAfterCrash, resumeApproved } = createMaintenance({
    repo,
    life,
    now: () => deps.now().toISOString(),
    execute,
    effectOf: (row) => decisionOf(row).effect,
  });

  return {
    submit,
    applyDecision,
    card,
    rejectInput,
    resumeApproved,
    execute,
    getOwn,
    load,
    waitForChange,
    cancel,
    openRows,
    reconcile,
    expireDue,
    recoverAfterCrash,
    list: (status: ProposalStatus | null, limit = 200) =>
      repo.list(status, limit).map((row) => ({ row, decision: decisionOf(row) })),
    page: (status: ProposalStatus | null, limit: number, before: number | null) => {
      const p = repo.page(status, limit, before);
      return { ...p, items: p.rows.map((row) => ({ row, decision: decisionOf(row) })) };
    },
  };
}

export type ProposalService = ReturnType<typeof createProposalService>;
