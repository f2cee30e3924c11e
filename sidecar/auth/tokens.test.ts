import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CORE_MIGRATIONS, openStateDb } from '../state/index.ts';
import { createAgentAuthenticator, generateAgentKey, hashAgentKey } from './agent-keys.ts';
import { createRateLimiter } from './rate-limit.ts';
import { createTokenService } from './tokens.ts';

describe('agent tokens', () => {
  const clock = { now: new Date('2026-11-22T10:00:00Z') };
  const db = openStateDb({ file: ':memory:', migrations: CORE_MIGRATIONS });
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('keeps tokens minted before a key rotation valid through the previous key', async () => {
    const before = createTokenService({ db, currentKey: oldKey, ttlSeconds: 60, now: () => clock.now });
    const { token } = await before.mint('agent-a');
    const after = createTokenService({
      db,
      currentKey: newKey,
      previousKey: oldKey,
      ttlSeconds: 60,
      now: () => clock.now,
    });
    expect(await after.redeem(token)).toBe('agent-a');
    expect(await after.redeem(token)).toBeNull();
  });

  it('refuses tokens of a key that was rotated out twice', async () => {
    const before = createTokenService({ db, currentKey: oldKey, ttlSeconds: 60, now: () => clock.now });
    const { token } = await before.mint('agent-a');
    const later = createTokenService({
      db,
      currentKey: randomBytes(32),
      previousKey: newKey,
      ttlSeconds: 60,
      now: () => clock.now,
    });
    expect(await later.redeem(token)).toBeNull();
  });

  it('refuses an expired token', async () => {
    const svc = createTokenService({ db, currentKey: newKey, ttlSeconds: 30, now: () => clock.now });
    const { token } = await svc.mint('agent-b');
    clock.now = new Date(clock.now.getTime() + 31_000);
    expect(await svc.redeem(token)).toBeNull();
  });
});

describe('agent keys', () => {
  it('identifies the principal from the key and nothing else', () => {
    const a = generateAgentKey();
    const b = generateAgentKey();
    const auth = createAgentAuthenticator([
      { id: 'a', keyHash: hashAgentKey(a) },
      { id: 'b', keyHash: hashAgentKey(b) },
    ]);
    expect(auth.identify(a)).toBe('a');
    expect(auth.identify(b)).toBe('b');
    expect(auth.identify(`${a}x`)).toBeNull();
    expect(auth.identify(hashAgentKey(a))).toBeNull();
    expect(auth.identify('')).toBeNull();
  });
});

describe('rate limiter', () => {
  it('allows a burst up to the per-minute rate, then refills over time, per principal', () => {
    let t = 0;
    const limiter = createRateLimiter(3, () => t);
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true);
    t += 20_000;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
  });

  it('says how long until the principal may send again', () => {
    let t = 0;
    const limiter = createRateLimiter(60, () => t);
    expect(limiter.retryAfterMs('a')).toBe(0);
    for (let i = 0; i < 60; i++) limiter.take('a');
    expect(limiter.take('a')).toBe(false);
    expect(limiter.retryAfterMs('a')).toBe(1000);
    t += 400;
    expect(limiter.retryAfterMs('a')).toBe(600);
    expect(limiter.retryAfterMs('b')).toBe(0);
  });
});
