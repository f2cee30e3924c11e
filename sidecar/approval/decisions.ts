// A signed decision becomes an Approval or a Refusal. This module verifies (signature or passkey, binding to
// the proposal's id and hash, who may approve, single use, passkey counters) and computes quorum; what the
// decision does to the proposal is the proposal life cycle's business.
import { ACTION_CLASS, type ActionName, type DecisionPayload, DecisionPayloadSchema } from '../../shared/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import type { StateDb } from '../state/index.ts';
import type { ApproverKeyring } from './keys.ts';
import { createNonceStore } from './nonces.ts';
import { type StatementCheck, verifyStatement } from './statements.ts';
import { createSignCounts, PASSKEY_PREFIX, type PasskeyCheck, verifyPasskeyDecision } from './webauthn.ts';

/** A decision made with a passkey in the console: the browser's assertion, whose challenge is the statement. */
export interface PasskeyDecision {
  readonly webauthn: unknown;
}

/** The proposal a decision is about, as far as verification needs it. */
export interface DecisionSubject {
  readonly id: string;
  readonly hash: string;
  readonly action: ActionName;
}

/** A verified decision of one approver. `evidence` is what the log keeps to re-check it offline. */
export interface Approval {
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
  readonly nonce: string;
  readonly exp: number;
  /** The statement as stored in the approvals table (a JWS, or the passkey assertion with its prefix). */
  readonly stored: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly passkey?: { readonly credentialId: string; readonly signCount: number };
}

export interface Refusal {
  readonly approver: string | null;
  readonly reason: string;
  readonly message: string;
}

export type Verdict =
  | { readonly ok: true; readonly approval: Approval }
  | { readonly ok: false; readonly refusal: Refusal };

export interface DecisionVerifierDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  readonly keyring: ApproverKeyring;
  readonly now: () => Date;
  readonly skewSeconds: number;
}

const refusal = (approver: string | null | undefined, reason: string, message: string): Verdict => ({
  ok: false,
  refusal: { approver: approver ?? null, reason, message: `decision refused: ${message}` },
});

export function createDecisionVerifier(deps: DecisionVerifierDeps) {
  const addApproval = deps.db.prepare(
    'INSERT OR IGNORE INTO approvals (proposal_id, approver, decision, jws, at) VALUES (?, ?, ?, ?, ?)',
  );
  const approvalsOf = deps.db.prepare(
    'SELECT approver, decision, jws, at FROM approvals WHERE proposal_id = ? ORDER BY at',
  );
  const allowedApprovers = new Set(deps.policy.policy.approvals.approvers);
  const nonces = createNonceStore(deps.db);
  const signCounts = createSignCounts(deps.db, deps.now);
  const passkeyOf = (approver: string) => deps.keyring.passkeyOf?.(approver) ?? null;

  /** The statement's signature and its binding to this proposal; nothing is consumed yet. */
  async function verify(
    proposalId: string,
    subject: DecisionSubject | null,
    statement: string | PasskeyDecision,
  ): Promise<Verdict> {
    const time = { now: deps.now(), skewSeconds: deps.skewSeconds };
    const passkey = typeof statement === 'string' ? null : statement.webauthn;
    const check: StatementCheck<DecisionPayload> | PasskeyCheck =
      typeof statement === 'string'
        ? await verifyStatement(statement, DecisionPayloadSchema, deps.keyring, time)
        : await verifyPasskeyDecision(passkey, passkeyOf, { time });
    if (!check.ok) return refusal(check.approver, check.reason, check.message);
    const p = check.payload;
    if (p.proposalId !== proposalId) {
      return refusal(p.approver, 'wrong_proposal', `it was signed for proposal ${p.proposalId}, not ${proposalId}`);
    }
    if (!subject) return refusal(p.approver, 'unknown_proposal', `no proposal ${proposalId}`);
    if (p.proposalHash !== subject.hash) {
      return refusal(
        p.approver,
        'wrong_hash',
        'the signed hash is not the hash of this proposal; review the card again and sign what it shows',
      );
    }
    if (allowedApprovers.size > 0 && !allowedApprovers.has(p.approver)) {
      return refusal(p.approver, 'approver_not_allowed', `policy does not let ${p.approver} decide`);
    }
    const signed = check.ok && 'signCount' in check ? (check as Extract<PasskeyCheck, { ok: true }>) : null;
    const jws = typeof statement === 'string' ? statement : PASSKEY_PREFIX + JSON.stringify(passkey);
    return {
      ok: true,
      approval: {
        approver: p.approver,
        decision: p.decision,
        nonce: p.nonce,
        exp: p.exp,
        stored: jws,
        // The full assertion, so `mailwarden evidence verify` re-checks it offline against the enrolled key.
        evidence: {
          approver: p.approver,
          decision: p.decision,
          hash: subject.hash,
          nonce: p.nonce,
          ...(signed
            ? { webauthn: signed.assertion, credentialId: signed.credentialId, signCount: signed.signCount }
            : { jws }),
        },
        ...(signed ? { passkey: { credentialId: signed.credentialId, signCount: signed.signCount } } : {}),
      },
    };
  }

  /**
   * Spends what makes a statement single-use. INVARIANT: the nonce is consumed before anything else happens,
   * so a replayed statement can never count twice; a passkey's counter must grow (a cloned one is refused).
   */
  function consume(approval: Approval): Refusal | null {
    if (!nonces.consume(approval.nonce, deps.now(), approval.exp)) {
      return {
        approver: approval.approver,
        reason: 'replay',
        message: 'decision refused: this signed statement was already used (replay)',
      };
    }
    if (approval.passkey && !signCounts.advance(approval.passkey.credentialId, approval.passkey.signCount)) {
      return {
        approver: approval.approver,
        reason: 'sign_count_regression',
        message:
          "decision refused: the passkey's signature counter went backwards (a cloned authenticator?); revoke and re-enrol it",
      };
    }
    return null;
  }

  return {
    verify,
    consume,
    /** Keeps an accepted decision, so it is re-verified at execution. */
    store(proposalId: string, approval: Approval): void {
      addApproval.run(proposalId, approval.approver, approval.decision, approval.stored, deps.now().toISOString());
    },
    /** Distinct approvers who approved this proposal. */
    approvers(proposalId: string): string[] {
      const rows = approvalsOf.all(proposalId) as { approver: string; decision: string }[];
      return [...new Set(rows.filter((r) => r.decision === 'approve').map((r) => r.approver))];
    },
    /** Who decided what and when, for the approval card. */
    list(proposalId: string): { approver: string; decision: string; at: string }[] {
      return (approvalsOf.all(proposalId) as { approver: string; decision: string; at: string }[]).map((r) => ({
        approver: r.approver,
        decision: r.decision,
        at: r.at,
      }));
    },
    quorum(action: ActionName): number {
      return deps.policy.policy.approvals.quorum[ACTION_CLASS[action]];
    },
  };
}

export type DecisionVerifier = ReturnType<typeof createDecisionVerifier>;
