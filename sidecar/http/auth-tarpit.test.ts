import { describe, expect, it } from 'vitest';
import { createAuthTarpit } from './auth-tarpit.ts';

describe('the failed-authentication tarpit', () => {
  it('answers a burst within the budget at once and holds what goes beyond it', () => {
    let now = 0;
    const tarpit = createAuthTarpit({ burst: 5, perSecond: 2, delayMs: 250 }, () => now);
    const first = Array.from({ length: 7 }, () => tarpit.delayFor());
    expect(first).toEqual([0, 0, 0, 0, 0, 250, 250]);
    // The budget refills at its rate, never above the burst.
    now = 500;
    expect(tarpit.delayFor()).toBe(0);
    expect(tarpit.delayFor()).toBe(250);
    now = 60_000;
    expect(Array.from({ length: 6 }, () => tarpit.delayFor())).toEqual([0, 0, 0, 0, 0, 250]);
  });

  it('refuses a budget that is empty or never refills', () => {
    expect(() => createAuthTarpit({ burst: 0, perSecond: 2, delayMs: 250 })).toThrow(/burst/);
    expect(() => createAuthTarpit({ burst: 5, perSecond: -1, delayMs: 250 })).toThrow(/perSecond/);
  });
});
