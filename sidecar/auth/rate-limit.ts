// Per-principal request rate limiting with a token bucket (in memory; resets on restart by design).

export interface RateLimiter {
  /** True when the request may proceed; false when the principal is over its rate. */
  take(principal: string): boolean;
  /** Milliseconds until the principal may send again (0: now). */
  retryAfterMs(principal: string): number;
}

/**
 * `perMinute` refills each principal's bucket; `capacity` is the burst it may spend at once (a minute's worth
 * unless given).
 */
export function createRateLimiter(
  perMinute: number,
  now: () => number = Date.now,
  capacity: number = perMinute,
): RateLimiter {
  const refillPerMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  /** The principal's bucket, refilled up to now. */
  const current = (principal: string) => {
    const t = now();
    const b = buckets.get(principal) ?? { tokens: capacity, at: t };
    b.tokens = Math.min(capacity, b.tokens + (t - b.at) * refillPerMs);
    b.at = t;
    buckets.set(principal, b);
    return b;
  };
  return {
    take(principal) {
      const b = current(principal);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    retryAfterMs(principal) {
      const b = current(principal);
      return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / refillPerMs);
    },
  };
}
