// The one owner of the proposal life cycle: submit → decide → [approve] → execute → record.
import { EventEmitter } from 'node:events';
import {
  ACTION_CLASS,
  ActionParamSchemas,
  type Effect,
  FINAL_STATUSES,
  type ProposalRequest,
  type ProposalStatus,
} from '../../shared/index.ts';
import { MailwardenError } from '../errors.ts';
import type { EvidenceEvent, EvidenceLog } from '../evidence/index.ts';
import type { GogExecutor } from '../exec/index.ts';
import { type CompiledPolicy, type Decision, evaluatePolicy, stricter } from '../policy/index.ts';
import { isBusyError, type StateDb } from '../state/index.ts';
import { ProposalError } from './errors.ts';
import { createLockdownStore, type LockdownStore } from './lockdown-store.ts';
import { createMaintenance } from './maintenance.ts';
import { createOutcomeWriter } from './outcome-writer.ts';
import { createProposalRepository, type ProposalRow } from './repository.ts';
import { type StoredProposal, sealProposal, unsealProposal } from './stored-proposal.ts';

/** An extra judgement on top of the policy rules (outbound guard, exfiltration guard, caps). */
export interface Assessment {
  readonly effect: Effect;
  readonly rules: readonly string[];
  readonly message: string;
}

export type Preflight =
  | { readonly ok: true; settle(succeeded: boolean): void }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface ProposalHooks {
  /** Judge a new proposal beyond the rules; the stricter effect wins. */
  assess?(p: StoredProposal): Promise<Assessment | null> | Assessment | null;
  /** Runs after the claim and before gog (e.g. reserve a send-cap slot). */
  preflight?(p: StoredProposal): Preflight;
  /**
   * The parameters gog is actually given (read bounds applied), or a result that makes the call needless
   * (e.g. a calendar window the policy clamps to nothing). Defaults to the stored parameters.
   */
  prepareParams?(p: StoredProposal): { params: Record<string, unknown> } | { result: unknown };
  /** Filter what gog returned before anyone sees or stores it. */
  filterResult?(p: StoredProposal, result: unknown): unknown;
  /** A proposal now waits for an approver (e.g. tell the owner). Not awaited; it must return at once. */
  pending?(p: StoredProposal, decision: Decision, expiresAt: string): void;
  /** Re-verify the stored approvals against the re-computed hash just before executing. */
  verifyApprovals?(row: ProposalRow, hash: string): Promise<{ ok: true } | { ok: false; reason: string }>;
}

export interface ProposalServiceDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  readonly executor: GogExecutor;
  readonly evidence: EvidenceLog;
  readonly now: () => Date;
  readonly newId: () => string;
  readonly hooks?: ProposalHooks;
  readonly onError?: (err: unknown, context: string) => void;
}

export interface ProposalRecord {
  readonly row: ProposalRow;
  readonly decision: Decision;
}

export function createProposalService(deps: ProposalServiceDeps) {
  const repo = createProposalRepository(deps.db);
  const lockdowns: LockdownStore = createLockdownStore(deps.db);
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const hooks = deps.hooks ?? {};
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

  async function submit(principal: string, request: ProposalRequest): Promise<ProposalRecord> {
    const paramsCheck = ActionParamSchemas[request.action].safeParse(request.params);
    if (!paramsCheck.success) {
      const issue = paramsCheck.error.issues[0]!;
      const field = ['params', ...issue.path.map(String)].join('.');
      const message =
        issue.code === 'unrecognized_keys'
          ? `params: unknown parameter(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} for ${request.action}; remove them (see GET /v1/catalog)`
          : `${field}: ${issue.message}`;
      await record({
        type: 'proposal_rejected_input',
        principal,
        data: { action: request.action, field, code: issue.code },
      });
      throw new ProposalError('INVALID_INPUT', message);
    }
    const createdAt = deps.now();
    const stored: StoredProposal = {
      v: 1,
      id: deps.newId(),
      principal,
      action: request.action,
      params: paramsCheck.data as Record<string, unknown>,
      ...(request.justification !== undefined ? { justification: request.justification } : {}),
      ...(request.session !== undefined ? { session: request.session } : {}),
      correlationId: request.correlationId ?? deps.newId(),
      createdAt: createdAt.toISOString(),
    };
    const sealed = sealProposal(stored);
    const outcome = evaluatePolicy(deps.policy, {
      action: request.action,
      principal,
      lockdown: lockdowns.state(principal),
    });
    if (!outcome.ok) {
      await record({
        type: 'decision',
        proposalId: stored.id,
        principal,
        data: { action: stored.action, hash: sealed.hash, evaluatorError: outcome.error },
      });
      throw new ProposalError(
        'POLICY_EVALUATION_FAILED',
        `the policy could not be evaluated (${outcome.error}); nothing was done. The operator should run \`mailwarden policy check\``,
      );
    }
    let decision = outcome.decision;
    if (decision.effect !== 'deny' && hooks.assess) {
      const extra = await hooks.assess(stored);
      if (extra && extra.effect !== 'allow') {
        // The stricter effect wins; an escalation to the same effect still adds its reasons, so the
        // approval card says why (e.g. "this agent read outside mail").
        const escalates = stricter(decision.effect, extra.effect) !== decision.effect;
        decision = {
          effect: stricter(decision.effect, extra.effect),
          rules: [...extra.rules, ...decision.rules],
          message: escalates ? extra.message : `${decision.message}; also: ${extra.message}`,
          policyDigest: decision.policyDigest,
        };
      }
    }
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
        correlationId: stored.correlationId,
        session: stored.session?.id ?? null,
        effect: decision.effect,
        rules: [...decision.rules],
        policyDigest: decision.policyDigest,
        status,
      },
    });
    try {
      repo.insert({
        id: stored.id,
        principal,
        action: stored.action,
        status,
        canonical: sealed.canonical,
        hash: sealed.hash,
        decision: JSON.stringify(decision),
        policyDigest: decision.policyDigest,
        correlationId: stored.correlationId,
        sessionId: stored.session?.id ?? null,
        createdAt: stored.createdAt,
        expiresAt,
      });
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

    if (status === 'pending_approval') hooks.pending?.(stored, decision, expiresAt!);
    if (status === 'denied') await noteDenial(principal);
    if (status === 'approved') await execute(stored.id);
    return load(stored.id)!;
  }

  async function noteDenial(principal: string): Promise<void> {
    const cfg = deps.policy.policy.lockdown;
    if (cfg.denialThreshold === 0) return;
    const now = deps.now();
    const since = new Date(now.getTime() - cfg.windowSeconds * 1000).toISOString();
    const count = lockdowns.noteDenial(principal, now.toISOString(), since);
    if (count < cfg.denialThreshold) return;
    const scope = cfg.scope === 'global' ? 'global' : `principal:${principal}`;
    if (lockdowns.isLocked(scope)) return;
    const reason = `${count} denied proposals from ${principal} within ${cfg.windowSeconds}s`;
    await record({ type: 'lockdown_changed', principal, data: { lockdown: true, scope, reason, actor: 'automatic' } });
    lockdowns.set(scope, reason, now.toISOString(), 'automatic');
  }

  /** Execute an approved proposal at most once. Safe to call concurrently and repeatedly. */
  async function execute(id: string): Promise<void> {
    const row = repo.get(id);
    if (row?.status !== 'approved' || row.exec_state !== 'none') return;
    const unsealed = unsealProposal(row.canonical, row.hash);
    const approvals =
      unsealed.ok && hooks.verifyApprovals ? await hooks.verifyApprovals(row, row.hash) : { ok: true as const };
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
    const preflight = hooks.preflight ? hooks.preflight(proposal) : ({ ok: true, settle() {} } as const);
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
      const prepared = hooks.prepareParams ? hooks.prepareParams(proposal) : { params: proposal.params };
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
    preflight.settle(outcome.ok);
    let stored: string | null = null;
    let error = outcome.ok ? null : JSON.stringify({ code: outcome.code, message: outcome.message });
    if (outcome.ok) {
      try {
        const visible = hooks.filterResult ? hooks.filterResult(proposal, outcome.result) : outcome.result;
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
    repo,
    lockdowns,
    record,
    emit,
    changes,
  };
}

export type ProposalService = ReturnType<typeof createProposalService>;
