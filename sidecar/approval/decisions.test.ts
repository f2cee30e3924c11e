// A signed decision becomes an Approval or a Refusal: verification alone, on an in-memory state database.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadPolicy } from '../policy/index.ts';
import { CORE_MIGRATIONS, openStateDb } from '../state/index.ts';
import { createDecisionVerifier } from './decisions.ts';
import { type ApproverKeyring, generateApproverKeyPair } from './keys.ts';
import { newNonce, signStatement } from './statements.ts';

const now = new Date('2026-11-22T10:00:00Z');
const iat = Math.floor(now.getTime() / 1000);
const HASH = `sha256:${'a'.repeat(64)}`;
const subject = { id: 'p1', hash: HASH, action: 'gmail.send' as const };

const ann = generateApproverKeyPair();
const bob = generateApproverKeyPair();
const keyring: ApproverKeyring = {
  mode: 'eddsa',
  approvers: ['ann', 'bob'],
  keyOf: (a) =>
    a === 'ann' ? createPublicKey(ann.publicKeyPem) : a === 'bob' ? createPublicKey(bob.publicKeyPem) : null,
};

function verifier(approvers: string[] = []) {
  const db = openStateDb({ file: ':memory:', migrations: CORE_MIGRATIONS });
  const file = join(mkdtempSync(join(tmpdir(), 'mw-decisions-')), 'policy.yaml');
  writeFileSync(
    file,
    stringify({
      version: 1,
      name: 't',
      commands: { gmail: true, calendar: true },
      rules: [{ id: 'send', match: 'gmail.send', effect: 'approve' }],
      default: 'deny',
      approvals: { approvers, quorum: { write: 2 } },
    }),
  );
  const policy = loadPolicy(file);
  return Object.assign(createDecisionVerifier({ db, policy, keyring, now: () => now, skewSeconds: 60 }), { db });
}

function sign(approver: 'ann' | 'bob', over: Partial<Record<string, unknown>> = {}) {
  const pair = approver === 'ann' ? ann : bob;
  return signStatement(
    {
      proposalId: 'p1',
      proposalHash: HASH,
      approver,
      decision: 'approve',
      nonce: newNonce(),
      iat,
      exp: iat + 300,
      ...over,
    },
    createPrivateKey(pair.privateKeyPem),
    'EdDSA',
  );
}

describe('decision verification', () => {
  it('a statement bound to this proposal and its hash is an Approval', async () => {
    const v = verifier();
    const verdict = await v.verify('p1', subject, await sign('ann'));
    expect(verdict).toMatchObject({ ok: true, approval: { approver: 'ann', decision: 'approve' } });
    expect(verdict.ok && verdict.approval.evidence).toMatchObject({ approver: 'ann', hash: HASH });
  });

  it.each([
    ['another proposal', { proposalId: 'p2' }, 'wrong_proposal'],
    ['another hash', { proposalHash: `sha256:${'b'.repeat(64)}` }, 'wrong_hash'],
    ['an expired statement', { iat: iat - 4000, exp: iat - 3000 }, 'expired'],
  ])('a statement for %s is a Refusal', async (_what, over, reason) => {
    const verdict = await verifier().verify('p1', subject, await sign('ann', over));
    expect(verdict).toMatchObject({ ok: false, refusal: { reason } });
    expect(!verdict.ok && verdict.refusal.message).toMatch(/^decision refused: /);
  });

  it('an unknown proposal is a Refusal', async () => {
    const verdict = await verifier().verify('p1', null, await sign('ann'));
    expect(verdict).toMatchObject({ ok: false, refusal: { reason: 'unknown_proposal', approver: 'ann' } });
  });

  it('an approver the policy does not list is a Refusal', async () => {
    const verdict = await verifier(['ann']).verify('p1', subject, await sign('bob'));
    expect(verdict).toMatchObject({ ok: false, refusal: { reason: 'approver_not_allowed', approver: 'bob' } });
  });

  it('a statement is spent once: the second use is a replay', async () => {
    const v = verifier();
    const jws = await sign('ann');
    const first = await v.verify('p1', subject, jws);
    const second = await v.verify('p1', subject, jws);
    if (!first.ok || !second.ok) throw new Error('both verify before either is spent');
    expect(v.consume(first.approval)).toBeNull();
    expect(v.consume(second.approval)).toMatchObject({ reason: 'replay', approver: 'ann' });
  });

  it('counts distinct approving approvers against the quorum of the action class', async () => {
    const v = verifier();
    // Approvals belong to a stored proposal (a foreign key).
    v.db
      .prepare(`INSERT INTO proposals (id, principal, action, status, canonical, hash, decision, policy_digest,
        correlation_id, created_at, updated_at) VALUES ('p1', 'a', 'gmail.send', 'pending_approval', '{}', ?, '{}',
        'd', 'c', 't', 't')`)
      .run(HASH);
    for (const who of ['ann', 'ann', 'bob'] as const) {
      const verdict = await v.verify('p1', subject, await sign(who));
      if (!verdict.ok) throw new Error(verdict.refusal.message);
      v.store('p1', verdict.approval);
    }
    expect(v.approvers('p1').sort()).toEqual(['ann', 'bob']);
    expect(v.quorum('gmail.send')).toBe(2);
  });
});
