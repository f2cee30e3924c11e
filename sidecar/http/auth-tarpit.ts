// SECURITY: anyone who can reach the agent socket can fail authentication, as fast as the sidecar answers. On
// one event loop a flood of cheap 401s still takes turns from every real agent. A small budget of failures is
// answered at once (a misconfigured agent retrying, a token that expired); beyond it each failed answer is held
// for a while, so a flooding client gets about one attempt per connection per hold. Every failed answer also
// closes its connection (see the agent app), so a client cannot keep a connection warm for the next guess.

import { createRateLimiter } from '../auth/index.ts';

export interface AuthTarpitOptions {
  /** Failures answered at once after a quiet spell. */
  readonly burst: number;
  /** Rate at which that budget refills. */
  readonly perSecond: number;
  /** How long a failure beyond the budget is held before its answer. */
  readonly delayMs: number;
}

export const AUTH_TARPIT_DEFAULTS: AuthTarpitOptions = { burst: 100, perSecond: 50, delayMs: 250 };

export interface AuthTarpit {
  /** Notes one failed authentication; returns how many milliseconds to hold its answer (0: answer now). */
  delayFor(): number;
}

export function createAuthTarpit(
  options: AuthTarpitOptions = AUTH_TARPIT_DEFAULTS,
  clock: () => number = () => performance.now(),
): AuthTarpit {
  const { burst, perSecond, delayMs } = options;
  if (!(burst >= 1)) throw new RangeError(`auth tarpit: burst must be at least 1 (got ${burst})`);
  if (!(perSecond > 0)) throw new RangeError(`auth tarpit: perSecond must be above 0 (got ${perSecond})`);
  // One budget for every failure on the socket: the peer's identity is not known to Node on a unix socket.
  const budget = createRateLimiter(perSecond * 60, clock, burst);
  return { delayFor: () => (budget.take('failed authentications') ? 0 : delayMs) };
}
