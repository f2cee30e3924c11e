import { createPrivateKey, createPublicKey, createSecretKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecisionPayloadSchema } from '../../shared/index.ts';
import { type ApproverKeyring, createReloadingKeyring, generateApproverKeyPair } from './keys.ts';
import { newNonce, signStatement, verifyStatement } from './statements.ts';

const now = new Date('2026-11-22T10:00:00Z');
const iat = Math.floor(now.getTime() / 1000);
const payload = (approver: string) => ({
  proposalId: 'p1',
  proposalHash: `sha256:${'a'.repeat(64)}`,
  approver,
  decision: 'approve' as const,
  nonce: newNonce(),
  iat,
  exp: iat + 300,
});

describe('statement verification modes', () => {
  const pair = generateApproverKeyPair();
  const edPrivate = createPrivateKey(pair.privateKeyPem);
  const edRing: ApproverKeyring = {
    mode: 'eddsa',
    approvers: ['ann'],
    keyOf: (a) => (a === 'ann' ? createPublicKey(pair.publicKeyPem) : null),
  };
  const secret = createSecretKey(randomBytes(32));
  const hsRing: ApproverKeyring = { mode: 'hs256', approvers: ['ann'], keyOf: (a) => (a === 'ann' ? secret : null) };
  const opts = { now, skewSeconds: 60 };

  it('accepts EdDSA in the default mode', async () => {
    const r = await verifyStatement(
      await signStatement(payload('ann'), edPrivate, 'EdDSA'),
      DecisionPayloadSchema,
      edRing,
      opts,
    );
    expect(r.ok).toBe(true);
  });

  it('accepts HS256 only in the explicitly weaker hs256 mode', async () => {
    const jws = await signStatement(payload('ann'), secret, 'HS256');
    expect((await verifyStatement(jws, DecisionPayloadSchema, hsRing, opts)).ok).toBe(true);
    const inEd = await verifyStatement(jws, DecisionPayloadSchema, edRing, opts);
    expect(inEd.ok).toBe(false);
  });

  it('refuses an EdDSA statement in hs256 mode (no algorithm switching by the signer)', async () => {
    const r = await verifyStatement(
      await signStatement(payload('ann'), edPrivate, 'EdDSA'),
      DecisionPayloadSchema,
      hsRing,
      opts,
    );
    expect(r).toMatchObject({ ok: false, reason: 'wrong_algorithm' });
  });

  it('refuses a payload with unknown keys', async () => {
    const jws = await signStatement({ ...payload('ann'), scope: 'everything' }, edPrivate, 'EdDSA');
    expect(await verifyStatement(jws, DecisionPayloadSchema, edRing, opts)).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it('follows the config file: a newly enrolled approver is picked up without a restart', async () => {
    let mtime = 1;
    let ring: ApproverKeyring = { mode: 'eddsa', approvers: [], keyOf: () => null };
    const reloading = createReloadingKeyring(ring, {
      mtimeMs: () => mtime,
      reload: () => ring,
      onError: () => undefined,
    });
    const jws = await signStatement(payload('ann'), edPrivate, 'EdDSA');
    expect((await verifyStatement(jws, DecisionPayloadSchema, reloading, opts)).ok).toBe(false);
    ring = edRing;
    mtime = 2;
    expect((await verifyStatement(jws, DecisionPayloadSchema, reloading, opts)).ok).toBe(true);
  });

  it('keeps the last good keyring when the changed config does not load', async () => {
    let mtime = 1;
    const errors: unknown[] = [];
    const reloading = createReloadingKeyring(edRing, {
      mtimeMs: () => mtime,
      reload: () => {
        throw new Error('broken yaml');
      },
      onError: (e) => errors.push(e),
    });
    mtime = 2;
    const jws = await signStatement(payload('ann'), edPrivate, 'EdDSA');
    expect((await verifyStatement(jws, DecisionPayloadSchema, reloading, opts)).ok).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
