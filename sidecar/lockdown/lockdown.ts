// Lockdown as a domain of its own: what is locked (read by every decision), automatic lockdown after repeated
// denials, and lockdown statements signed by an approver. Every change is evidenced before it takes effect.
import { LockdownPayloadSchema } from '../../shared/index.ts';
import {
  ApprovalError,
  type ApproverKeyring,
  createNonceStore,
  evidenceFirst,
  refuseStatement,
  verifyStatement,
} from '../approval/index.ts';
import type { EvidenceLog } from '../evidence/index.ts';
import type { CompiledPolicy, LockdownState } from '../policy/index.ts';
import type { StateDb } from '../state/index.ts';
import { createLockdownStore, type LockdownStore } from './store.ts';

export interface LockdownDeps {
  readonly db: StateDb;
  readonly policy: CompiledPolicy;
  readonly evidence: Pick<EvidenceLog, 'append'>;
  readonly now: () => Date;
  /** Who may sign lockdown statements; without it only automatic lockdown applies. */
  readonly keyring?: ApproverKeyring;
  readonly skewSeconds?: number;
  /** The store to use (shared when something else already opened it). */
  readonly store?: LockdownStore;
}

export function createLockdown(deps: LockdownDeps) {
  const store = deps.store ?? createLockdownStore(deps.db);
  const nonces = createNonceStore(deps.db);
  const cfg = deps.policy.policy.lockdown;

  /**
   * One denied proposal of `principal`: after the policy's threshold within its window, the principal (or
   * everyone, with a global scope) is locked. Once locked, further denials cost no counting at all.
   */
  async function noteDenial(principal: string): Promise<void> {
    if (cfg.denialThreshold === 0) return;
    const scope = cfg.scope === 'global' ? 'global' : `principal:${principal}`;
    if (store.isLocked(scope)) return;
    const now = deps.now();
    const since = new Date(now.getTime() - cfg.windowSeconds * 1000).toISOString();
    const count = store.noteDenial(principal, now.toISOString(), since, cfg.denialThreshold);
    if (count < cfg.denialThreshold) return;
    const reason = `${count} denied proposals from ${principal} within ${cfg.windowSeconds}s`;
    await evidenceFirst(
      deps.evidence,
      { type: 'lockdown_changed', principal, data: { lockdown: true, scope, reason, actor: 'automatic' } },
      'the lockdown was not changed',
    );
    store.set(scope, reason, now.toISOString(), 'automatic');
  }

  /** A signed lockdown statement: verified, single-use, evidenced (with its signature), then applied. */
  async function applyStatement(jws: string): Promise<{ lockdown: boolean; scope: string }> {
    if (!deps.keyring) throw new ApprovalError('APPROVAL_REFUSED', 'no approvers are configured to sign lockdowns');
    const check = await verifyStatement(jws, LockdownPayloadSchema, deps.keyring, {
      now: deps.now(),
      skewSeconds: deps.skewSeconds ?? 0,
    });
    if (!check.ok) return refuse(check.approver, check.reason, `lockdown statement refused: ${check.message}`);
    const p = check.payload;
    if (!nonces.consume(p.nonce, deps.now(), p.exp)) {
      return refuse(p.approver, 'replay', 'lockdown statement refused: it was already used (replay)');
    }
    const scope = p.scope ?? 'global';
    await evidenceFirst(
      deps.evidence,
      { type: 'lockdown_changed', data: { lockdown: p.lockdown, scope, reason: p.reason, actor: p.approver, jws } },
      'the lockdown was not changed',
    );
    if (p.lockdown) store.set(scope, p.reason, deps.now().toISOString(), p.approver);
    else store.clear(scope);
    return { lockdown: p.lockdown, scope };
  }

  const refuse = (approver: string | undefined, reason: string, message: string): Promise<never> =>
    refuseStatement(deps.evidence, { approver: approver ?? null, reason, message });

  return {
    state: (principal: string): LockdownState => store.state(principal),
    isLocked: (scope: string): boolean => store.isLocked(scope),
    list: () => store.list(),
    noteDenial,
    applyStatement,
  };
}

export type Lockdown = ReturnType<typeof createLockdown>;
