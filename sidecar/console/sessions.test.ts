import { describe, expect, it } from 'vitest';
import { createSessionStore } from './sessions.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('console sessions', () => {
  it('a login token opens exactly one session', () => {
    const store = createSessionStore();
    const token = store.issueLoginToken();
    const s = store.redeemLoginToken(token);
    expect(s).not.toBeNull();
    expect(store.redeemLoginToken(token)).toBeNull();
    expect(store.touch(s!.id)).toBe(s);
  });

  it('refuses unknown and expired login tokens', () => {
    const c = clock();
    const store = createSessionStore({ now: c.now, loginTtlMs: 1000 });
    expect(store.redeemLoginToken('made-up')).toBeNull();
    const token = store.issueLoginToken();
    c.advance(1000);
    expect(store.redeemLoginToken(token)).toBeNull();
  });

  it('ends a session after the idle time and after the absolute lifetime', () => {
    const c = clock();
    const store = createSessionStore({ now: c.now, idleTtlMs: 100, absoluteTtlMs: 250 });
    const idle = store.redeemLoginToken(store.issueLoginToken())!;
    c.advance(100);
    expect(store.touch(idle.id)).toBeNull();

    const busy = store.redeemLoginToken(store.issueLoginToken())!;
    for (let i = 0; i < 4; i++) {
      c.advance(60);
      expect(store.touch(busy.id)).not.toBeNull();
    }
    c.advance(20);
    expect(store.touch(busy.id)).toBeNull();
  });

  it('checks the CSRF token exactly and ends sessions on request', () => {
    const store = createSessionStore();
    const s = store.redeemLoginToken(store.issueLoginToken())!;
    expect(store.checkCsrf(s, s.csrfToken)).toBe(true);
    expect(store.checkCsrf(s, undefined)).toBe(false);
    expect(store.checkCsrf(s, `${s.csrfToken}x`)).toBe(false);
    expect(store.checkCsrf(s, s.id)).toBe(false);
    store.end(s.id);
    expect(store.touch(s.id)).toBeNull();
    expect(store.touch(undefined)).toBeNull();
  });
});
