// The one owner of the proposal life cycle: submit → decide → [approve] → execute → record.
import { EventEmitter } from 'node:events';
import {
  ACTION_CLASS,
  type ActionName,
  FINAL_STATUSES,
  type ProposalRequest,
  type ProposalStatus,
  type Sha256Digest,
} from '../../shared/index.ts';
import { MailwardenError } from '../errors.ts';
import type { EvidenceEvent, EvidenceLog } from '../evidence/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import { type CompiledPolicy, type Decision, decide, type Facts } from '../policy/index.ts';
import { createWriteBatch, isBusyError, type StateDb } from '../state/index.ts';
import { ProposalError } from './errors.ts';
import { createLockdownStore, type LockdownStore } from './lockdown-store.ts';
import { createMaintenance } from './maintenance.ts';
import { createOutcomeWriter } from './outcome-writer.ts';
import { createProposalRepository, type ProposalRow } from './repository.ts';
import { type StoredProposal, sealProposal, unsealProposal } from './stored-proposal.ts';

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
  /** The content and outbound guard: facts before deciding, controls around executing. */
  readonly guard?: { readonly facts: FactsSource; readonly execution: ExecutionControls } | undefined;
  readonly approvals: ApprovalCheck;
  /** A proposal now waits for an approver (tell the owner). Not awaited; it must return at once. */
  readonly onPending?: (p: StoredProposal, decision: Decision, expiresAt: string) => void;
  /** Shared with whoever else reads lockdown state (the guard's facts), so both see one cache. */
  readonly lockdowns?: LockdownStore;
  readonly onError?: (err: unknown, context: string) => void;
}

export interface ProposalRecord {
  readonly row: ProposalRow;
  readonly decision: Decision;
}

export function createProposalService(deps: ProposalServiceDeps) {
  const repo = createProposalRepository(deps.db);
  const writes = createWriteBatch(deps.db);
  const lockdowns: LockdownStore = deps.lockdowns ?? createLockdownStore(deps.db);
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const controls = deps.guard?.execution ?? PASS_THROUGH;
  const iso = () => deps.now().toISOString();
  const outcomes = createOutcomeWriter({
    repo,
    now: iso,
    stored: (id) => emit(id),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });

  async function record(event: EvidenceEvent): Promise<void> {
    try {
      await deps.evidence.append(event);
    } catch (err) {
      // SECURITY: fail closed. Nothing proceeds that cannot be evidenced.
      throw new ProposalError(
        'EVIDENCE_UNAVAILABLE',
        'the evidence log cannot be written, so mailwarden refuses to act (fail closed); the operator must check disk space and permissions of the evidence folder',
        { cause: err },
      );
    }
  }

  function emit(id: string): void {
    changes.emit(id);
  }

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
      lockdown: lockdowns.state(p.principal),
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
    if (status === 'denied') await noteDenial(principal);
    if (status !== 'approved') return { row, decision: decisionOf(row) };
    // An allowed proposal runs now; its answer is the row as the execution left it.
    await execute(stored.id);
    return load(stored.id)!;
  }

  async function noteDenial(principal: string): Promise<void> {
    const cfg = deps.policy.policy.lockdown;
    if (cfg.denialThreshold === 0) return;
    const now = deps.now();
    const since = new Date(now.getTime() - cfg.windowSeconds * 1000).toISOString();
    const scope = cfg.scope === 'global' ? 'global' : `principal:${principal}`;
    // Already locked: nothing left to decide, so a flood of denials costs no counting at all.
    if (lockdowns.isLocked(scope)) return;
    const count = lockdowns.noteDenial(principal, now.toISOString(), since, cfg.denialThreshold);
    if (count < cfg.denialThreshold) return;
    const reason = `${count} denied proposals from ${principal} within ${cfg.windowSeconds}s`;
    await record({ type: 'lockdown_changed', principal, data: { lockdown: true, scope, reason, actor: 'automatic' } });
    lockdowns.set(scope, reason, now.toISOString(), 'automatic');
  }

  /** Execute an approved proposal at most once. Safe to call concurrently and repeatedly. */
  async function execute(id: string): Promise<void> {
    const row = repo.get(id);
    if (row?.status !== 'approved' || row.exec_state !== 'none') return;
    const unsealed = unsealProposal(row.canonical, row.hash);
    const approvals = unsealed.ok ? await deps.approvals(row, row.hash) : { ok: true as const };
    // A read has no side effect to repeat, so its claim need not survive a power cut; every other claim is fsynced.
    if (!repo.claim(id, iso(), ACTION_CLASS[row.action] !== 'read')) return;
    emit(id);
    if (!unsealed.ok || !approvals.ok) {
      const reason = !unsealed.ok ? unsealed.reason : approvals.ok ? '' : approvals.reason;
      await recordSafely({
        type: 'execution_finished',
        proposalId: id,
        principal: row.principal,
        data: { outcome: 'refused', code: 'STATE_TAMPERED', reason },
      });
      repo.finish(
        id,
        'failed',
        null,
        JSON.stringify({ code: 'STATE_TAMPERED', message: `refused to execute: ${reason}` }),
        iso(),
      );
      emit(id);
      return;
    }
    const proposal = unsealed.proposal;
    try {
      await record({
        type: 'execution_started',
        proposalId: id,
        principal: row.principal,
        data: { action: proposal.action, hash: row.hash },
      });
    } catch (err) {
      // gog never ran; the claim is settled as a failure so it can never run later either.
      repo.finish(
        id,
        'failed',
        null,
        JSON.stringify({ code: 'EVIDENCE_UNAVAILABLE', message: (err as Error).message }),
        iso(),
      );
      emit(id);
      return;
    }
    // What was approved must still be what leaves: a changed draft is refused before anything is reserved.
    const recheck = await controls.recheck(proposal, proposal.bound?.draftDigest as Sha256Digest | undefined);
    if (!recheck.ok) {
      await recordSafely({
        type: 'execution_finished',
        proposalId: id,
        principal: row.principal,
        data: { outcome: 'refused', code: recheck.code },
      });
      repo.finish(id, 'failed', null, JSON.stringify({ code: recheck.code, message: recheck.message }), iso());
      emit(id);
      return;
    }
    const preflight = controls.preflight(proposal);
    if (!preflight.ok) {
      repo.finish(id, 'failed', null, JSON.stringify({ code: preflight.code, message: preflight.message }), iso());
      await recordSafely({
        type: 'execution_finished',
        proposalId: id,
        principal: row.principal,
        data: { outcome: 'refused', code: preflight.code },
      });
      emit(id);
      return;
    }
    let outcome: Awaited<ReturnType<GogExecutor['execute']>>;
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
      repo.markOutcomeUnknown(
        id,
        iso(),
        JSON.stringify({
          code: 'EXECUTOR_CRASHED',
          message: 'the executor failed unexpectedly; check the mailbox before retrying',
        }),
      );
      await recordSafely({
        type: 'outcome_unknown',
        proposalId: id,
        principal: row.principal,
        data: { reason: 'executor_crashed' },
      });
      emit(id);
      return;
    }
    if (!outcome.ok && outcome.mayHaveRun) {
      // gog was stopped after it may have made the change: never "failed", which invites a retry.
      preflight.settle(true);
      await finishUnknown(id, row.principal, outcome);
      return;
    }
    preflight.settle(outcome.ok);
    let stored: string | null = null;
    let error = outcome.ok ? null : JSON.stringify({ code: outcome.code, message: outcome.message });
    if (outcome.ok) {
      try {
        const visible = controls.filter(proposal, outcome.result);
        stored = JSON.stringify(visible);
      } catch (err) {
        // SECURITY: what cannot be filtered is never shown; the call is reported as failed instead.
        deps.onError?.(err, 'result filter');
        const code = err instanceof MailwardenError ? err.code : 'RESULT_FILTER_FAILED';
        error = JSON.stringify({
          code,
          message: `the result was withheld because it could not be checked: ${(err as Error).message}`,
        });
        outcome = { ok: false, code: 'GOG_BAD_OUTPUT', message: 'result withheld', info: outcome.info };
      }
    }
    // INVARIANT: the outcome reaches evidence first; state may be locked by another process right now.
    await recordSafely({
      type: 'execution_finished',
      proposalId: id,
      principal: row.principal,
      data: {
        outcome: outcome.ok ? 'executed' : 'failed',
        ...(outcome.ok ? {} : { code: outcome.code }),
        exitCode: outcome.info.exitCode,
        attempts: outcome.info.attempts,
        durationMs: Math.round(outcome.info.durationMs),
        stdoutDigest: outcome.info.stdoutDigest,
        stderrDigest: outcome.info.stderrDigest,
      },
    });
    const status = outcome.ok ? 'executed' : 'failed';
    if (!(await outcomes.store({ id, status, result: stored, error }))) {
      emit(id);
      throw new ProposalError(
        'STATE_BUSY',
        `the action ran (${status}) and its outcome is in evidence, but the state database is locked by another process; read proposal ${id} again in a moment`,
      );
    }
    emit(id);
  }

  /**
   * A mutating call that gog did not finish cleanly: the change may or may not have been made. Evidence first,
   * then state; it is never run again, and the caller is told to look before trying again.
   */
  async function finishUnknown(
    id: string,
    principal: string,
    outcome: Extract<Awaited<ReturnType<GogExecutor['execute']>>, { ok: false }>,
  ): Promise<void> {
    await recordSafely({
      type: 'execution_finished',
      proposalId: id,
      principal,
      data: {
        outcome: 'outcome_unknown',
        code: outcome.code,
        exitCode: outcome.info.exitCode,
        attempts: outcome.info.attempts,
        durationMs: Math.round(outcome.info.durationMs),
        stdoutDigest: outcome.info.stdoutDigest,
        stderrDigest: outcome.info.stderrDigest,
      },
    });
    const message = `${outcome.message} gog did not finish cleanly, so the change may have been made: check the mailbox (e.g. Sent) before proposing it again; mailwarden will not repeat it.`;
    repo.markOutcomeUnknown(id, iso(), JSON.stringify({ code: outcome.code, message }));
    emit(id);
  }

  /** After the side effect, evidence failures must not hide the outcome already stored in state. */
  async function recordSafely(event: EvidenceEvent): Promise<void> {
    try {
      await deps.evidence.append(event);
    } catch (err) {
      deps.onError?.(err, `evidence append of ${event.type} for ${event.proposalId ?? '-'}`);
    }
  }

  function load(id: string): ProposalRecord | null {
    outcomes.flush();
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
          changes.off(id, done);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        changes.on(id, done);
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
    await record({ type: 'proposal_cancelled', proposalId: id, principal, data: { by: principal } });
    if (!repo.transition(id, 'pending_approval', 'cancelled', iso())) {
      throw new ProposalError('NOT_PENDING', `proposal ${id} changed while being cancelled; read it again`);
    }
    emit(id);
    return getOwn(principal, id);
  }

  const { expireDue, recoverAfterCrash, resumeApproved } = createMaintenance({
    repo,
    now: iso,
    record,
    recordSafely,
    emit,
    execute,
    effectOf: (row) => decisionOf(row).effect,
  });

  return {
    submit,
    rejectInput,
    resumeApproved,
    execute,
    getOwn,
    load,
    waitForChange,
    cancel,
    expireDue,
    recoverAfterCrash,
    list: (status: ProposalStatus | null, limit = 200) =>
      repo.list(status, limit).map((row) => ({ row, decision: decisionOf(row) })),
    page: (status: ProposalStatus | null, limit: number, before: number | null) => {
      const p = repo.page(status, limit, before);
      return { ...p, items: p.rows.map((row) => ({ row, decision: decisionOf(row) })) };
    },
    repo,
    lockdowns,
    record,
    emit,
    changes,
  };
}

export type ProposalService = ReturnType<typeof createProposalService>;
