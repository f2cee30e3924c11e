// The approvals a proposal needs at execution, re-verified from the stored statements: pure verification over
// the approvals table, used by the life cycle just before a side effect.
import { ACTION_CLASS, type ActionName, DecisionPayloadSchema } from '../../shared/index.ts';
import { type CompiledPolicy, evaluatePolicy } from '../policy/index.ts';
import type { StateDb } from '../state/index.ts';
import type { ApproverKeyring } from './keys.ts';
import { verifyStatement } from './statements.ts';
import { PASSKEY_PREFIX, verifyPasskeyDecision } from './webauthn.ts';

/** A passkey decision as kept in the approvals table; what no longer parses verifies as nothing. */
function storedAssertion(text: string): unknown {
  try {
    return JSON.parse(text.slice(PASSKEY_PREFIX.length));
  } catch {
    return null;
  }
}

/** What the execution-time check reads of a stored proposal (whose bytes the caller unsealed against `hash`). */
export interface ExecutionSubject {
  readonly id: string;
  readonly action: ActionName;
  readonly principal: string;
  /** The stored decision, as JSON. */
  readonly decision: string;
}

export function quorumOf(policy: CompiledPolicy, row: Pick<ExecutionSubject, 'action'>): number {
  return policy.policy.approvals.quorum[ACTION_CLASS[row.action]];
}

export interface ExecutionCheckDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  readonly keyring: ApproverKeyring;
}

/**
 * Execution-time re-check: re-verify every stored signature against the hash re-computed from the stored bytes
 * (the life cycle unseals the stored bytes against that hash before asking).
 * SECURITY: a state-database writer who edits the proposal, the hash or the decision cannot make it executable.
 */
export function createExecutionCheck(deps: ExecutionCheckDeps) {
  const approvalsOf = deps.db.prepare(
    'SELECT approver, decision, jws, at FROM approvals WHERE proposal_id = ? ORDER BY at',
  );
  return async function verifyForExecution(
    row: ExecutionSubject,
    hash: string,
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    const storedDecision = JSON.parse(row.decision) as { effect?: string };
    const policyNow = evaluatePolicy(deps.policy, {
      action: row.action,
      principal: row.principal,
      lockdown: { global: null, principal: null },
    });
    const needsApproval = storedDecision.effect !== 'allow' || !policyNow.ok || policyNow.decision.effect !== 'allow';
    if (!needsApproval) return { ok: true };
    const rows = approvalsOf.all(row.id) as { approver: string; decision: string; jws: string }[];
    const valid = new Set<string>();
    for (const r of rows) {
      if (r.decision !== 'approve') continue;
      // Expiry was checked when the statement arrived; here only the binding and the key matter.
      const check = r.jws.startsWith(PASSKEY_PREFIX)
        ? await verifyPasskeyDecision(storedAssertion(r.jws), (a) => deps.keyring.passkeyOf?.(a) ?? null)
        : await verifyStatement(r.jws, DecisionPayloadSchema, deps.keyring, {
            now: new Date(0),
            skewSeconds: Number.MAX_SAFE_INTEGER,
          });
      if (
        check.ok &&
        check.payload.proposalId === row.id &&
        check.payload.proposalHash === hash &&
        check.payload.decision === 'approve'
      ) {
        valid.add(check.approver);
      }
    }
    const needed = quorumOf(deps.policy, row);
    return valid.size >= needed
      ? { ok: true }
      : { ok: false, reason: `only ${valid.size} of ${needed} required approvals verify against the stored proposal` };
  };
}
