// Applies signed operator decisions: bound to proposal id and hash, single-use nonces, quorum, evidence for every refusal.
import {
  ACTION_CLASS,
  type DecisionPayload,
  DecisionPayloadSchema,
  LockdownPayloadSchema,
} from '../../shared/index.ts';
import { MailwardenError } from '../errors.ts';
import type { EvidenceLog } from '../evidence/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import { type ProposalRow, type ProposalService, toView, unsealProposal } from '../proposals/index.ts';
import { durably, type StateDb } from '../state/index.ts';
import { quorumOf } from './execution-check.ts';
import type { ApproverKeyring } from './keys.ts';
import { type StatementCheck, verifyStatement } from './statements.ts';
import { createSignCounts, PASSKEY_PREFIX, type PasskeyCheck, verifyPasskeyDecision } from './webauthn.ts';

/** A decision made with a passkey in the console: the browser's assertion, whose challenge is the statement. */
export interface PasskeyDecision {
  readonly webauthn: unknown;
}

function passkeyVerified(check: StatementCheck<DecisionPayload> | PasskeyCheck) {
  return check.ok && 'signCount' in check ? (check as Extract<PasskeyCheck, { ok: true }>) : null;
}

export class ApprovalError extends MailwardenError<'APPROVAL_REFUSED' | 'NOT_FOUND' | 'EVIDENCE_UNAVAILABLE'> {
  override readonly name = 'ApprovalError';
}

export interface ApprovalServiceDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  readonly proposals: ProposalService;
  readonly keyring: ApproverKeyring;
  readonly evidence: EvidenceLog;
  readonly now: () => Date;
  readonly skewSeconds: number;
  /** Extra facts for the approval card (derived recipients, thread, escalations). */
  readonly describe?: (row: ProposalRow) => Record<string, unknown>;
}

export function createApprovalService(deps: ApprovalServiceDeps) {
  const { db } = deps;
  const useNonce = db.prepare('INSERT OR IGNORE INTO used_nonces (nonce, used_at, expires_at) VALUES (?, ?, ?)');
  const addApproval = db.prepare(
    'INSERT OR IGNORE INTO approvals (proposal_id, approver, decision, jws, at) VALUES (?, ?, ?, ?, ?)',
  );
  const approvalsOf = db.prepare('SELECT approver, decision, jws, at FROM approvals WHERE proposal_id = ? ORDER BY at');
  const iso = () => deps.now().toISOString();
  const allowedApprovers = new Set(deps.policy.policy.approvals.approvers);

  const quorumFor = (row: ProposalRow) => quorumOf(deps.policy, row);
  const signCounts = createSignCounts(db, deps.now);
  const passkeyOf = (approver: string) => deps.keyring.passkeyOf?.(approver) ?? null;

  async function refuse(
    proposalId: string | null,
    approver: string | undefined,
    reason: string,
    message: string,
  ): Promise<never> {
    try {
      await deps.evidence.append({
        type: 'approval_refused',
        ...(proposalId ? { proposalId } : {}),
        data: { reason, approver: approver ?? null },
      });
    } catch {
      throw new ApprovalError(
        'EVIDENCE_UNAVAILABLE',
        'the evidence log cannot be written; nothing was decided (fail closed)',
      );
    }
    throw new ApprovalError('APPROVAL_REFUSED', message);
  }

  async function decide(
    proposalId: string,
    statement: string | PasskeyDecision,
  ): Promise<{ proposalId: string; outcome: string }> {
    const passkey = typeof statement === 'string' ? null : statement.webauthn;
    const jws = typeof statement === 'string' ? statement : PASSKEY_PREFIX + JSON.stringify(passkey);
    const time = { now: deps.now(), skewSeconds: deps.skewSeconds };
    const check: StatementCheck<DecisionPayload> | PasskeyCheck =
      typeof statement === 'string'
        ? await verifyStatement(statement, DecisionPayloadSchema, deps.keyring, time)
        : await verifyPasskeyDecision(passkey, passkeyOf, { time });
    if (!check.ok) return refuse(proposalId, check.approver, check.reason, `decision refused: ${check.message}`);
    const p = check.payload;
    if (p.proposalId !== proposalId) {
      return refuse(
        proposalId,
        p.approver,
        'wrong_proposal',
        `decision refused: it was signed for proposal ${p.proposalId}, not ${proposalId}`,
      );
    }
    const row = deps.proposals.repo.get(proposalId);
    if (!row) return refuse(proposalId, p.approver, 'unknown_proposal', `decision refused: no proposal ${proposalId}`);
    if (p.proposalHash !== row.hash) {
      return refuse(
        proposalId,
        p.approver,
        'wrong_hash',
        'decision refused: the signed hash is not the hash of this proposal; review the card again and sign what it shows',
      );
    }
    if (allowedApprovers.size > 0 && !allowedApprovers.has(p.approver)) {
      return refuse(
        proposalId,
        p.approver,
        'approver_not_allowed',
        `decision refused: policy does not let ${p.approver} decide`,
      );
    }
    await deps.proposals.expireDue();
    const current = deps.proposals.repo.get(proposalId)!;
    if (current.status !== 'pending_approval') {
      return refuse(
        proposalId,
        p.approver,
        'not_pending',
        `decision refused: proposal ${proposalId} is ${current.status}, no longer pending`,
      );
    }
    // INVARIANT: a nonce is consumed before anything else happens, so a replayed statement can never count twice.
    if (durably(db, () => useNonce.run(p.nonce, iso(), new Date(p.exp * 1000).toISOString()).changes) !== 1) {
      return refuse(
        proposalId,
        p.approver,
        'replay',
        'decision refused: this signed statement was already used (replay)',
      );
    }
    // A passkey's sign count must grow: an assertion from a cloned authenticator is refused.
    const signed = passkeyVerified(check);
    if (signed && !signCounts.advance(signed.credentialId, signed.signCount)) {
      return refuse(
        proposalId,
        p.approver,
        'sign_count_regression',
        "decision refused: the passkey's signature counter went backwards (a cloned authenticator?); revoke and re-enrol it",
      );
    }
    try {
      await deps.evidence.append({
        type: 'approval_accepted',
        proposalId,
        data: {
          approver: p.approver,
          decision: p.decision,
          hash: row.hash,
          nonce: p.nonce,
          // The full assertion, so `mailwarden evidence verify` re-checks it offline against the enrolled key.
          ...(signed
            ? { webauthn: signed.assertion, credentialId: signed.credentialId, signCount: signed.signCount }
            : { jws }),
        },
      });
    } catch {
      throw new ApprovalError(
        'EVIDENCE_UNAVAILABLE',
        'the evidence log cannot be written; nothing was decided (fail closed)',
      );
    }
    addApproval.run(proposalId, p.approver, p.decision, jws, iso());

    if (p.decision === 'reject') {
      await deps.proposals.life.move(proposalId, 'reject', {
        type: 'proposal_rejected',
        proposalId,
        data: { by: p.approver },
      });
      return { proposalId, outcome: 'rejected' };
    }
    const approvers = approvingApprovers(row);
    const needed = quorumFor(row);
    if (approvers.length < needed) return { proposalId, outcome: `approved_by_${approvers.length}_of_${needed}` };
    const windowEnd = new Date(
      deps.now().getTime() + deps.policy.policy.approvals.executionWindowSeconds * 1000,
    ).toISOString();
    const approved = { type: 'proposal_approved', proposalId, data: { approvers, quorum: needed } } as const;
    if (await deps.proposals.life.move(proposalId, 'approve', approved, { expiresAt: windowEnd })) {
      await deps.proposals.execute(proposalId);
    }
    return { proposalId, outcome: deps.proposals.repo.get(proposalId)?.status ?? 'approved' };
  }

  /** Distinct approvers whose stored approve-statements still verify against this row's hash. */
  function approvingApprovers(row: ProposalRow): string[] {
    const rows = approvalsOf.all(row.id) as { approver: string; decision: string; jws: string }[];
    return [...new Set(rows.filter((r) => r.decision === 'approve').map((r) => r.approver))];
  }

  async function lockdown(jws: string): Promise<{ lockdown: boolean; scope: string }> {
    const check = await verifyStatement(jws, LockdownPayloadSchema, deps.keyring, {
      now: deps.now(),
      skewSeconds: deps.skewSeconds,
    });
    if (!check.ok) return refuse(null, check.approver, check.reason, `lockdown statement refused: ${check.message}`);
    const p = check.payload;
    if (durably(db, () => useNonce.run(p.nonce, iso(), new Date(p.exp * 1000).toISOString()).changes) !== 1) {
      return refuse(null, p.approver, 'replay', 'lockdown statement refused: it was already used (replay)');
    }
    const scope = p.scope ?? 'global';
    await deps.proposals.record({
      type: 'lockdown_changed',
      data: { lockdown: p.lockdown, scope, reason: p.reason, actor: p.approver, jws },
    });
    if (p.lockdown) deps.proposals.lockdowns.set(scope, p.reason, iso(), p.approver);
    else deps.proposals.lockdowns.clear(scope);
    return { lockdown: p.lockdown, scope };
  }

  async function card(proposalId: string): Promise<Record<string, unknown>> {
    const rec = deps.proposals.load(proposalId);
    if (!rec) throw new ApprovalError('NOT_FOUND', `no proposal ${proposalId}`);
    const unsealed = unsealProposal(rec.row.canonical, rec.row.hash);
    const stored = unsealed.ok ? unsealed.proposal : null;
    const rows = approvalsOf.all(proposalId) as { approver: string; decision: string; at: string }[];
    return {
      ...toView(rec),
      principal: rec.row.principal,
      class: ACTION_CLASS[rec.row.action],
      params: stored?.params ?? null,
      justification: stored?.justification ?? null,
      session: stored?.session ?? null,
      integrity: unsealed.ok ? 'ok' : `TAMPERED: ${unsealed.reason}`,
      approvals: rows.map((r) => ({ approver: r.approver, decision: r.decision, at: r.at })),
      quorum: quorumFor(rec.row),
      ...(deps.describe ? deps.describe(rec.row) : {}),
    };
  }

  return { decide, lockdown, card };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
