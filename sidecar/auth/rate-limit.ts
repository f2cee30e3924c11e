// Per-principal request rate limiting with a token bucket (in memory; resets on restart by design).

export interface RateLimiter {
  /** True when the request may proceed; false when the principal is over its rate. */
  take(principal: string): boolean;
}

export function createRateLimiter(perMinute: number, now: () => number = Date.now): RateLimiter {
  const capacity = perMinute;
  const refillPerMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(principal) {
      const t = now();
      const b = buckets.get(principal) ?? { tokens: capacity, at: t };
      b.tokens = Math.min(capacity, b.tokens + (t - b.at) * refillPerMs);
      b.at = t;
      buckets.set(principal, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
