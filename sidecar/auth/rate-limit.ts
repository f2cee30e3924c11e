// Per-principal request rate limiting with a token bucket (in memory; resets on restart by design).

export interface RateLimiter {
  /** True when the request may proceed; false when the principal is over its rate. */
  take(principal: string): boolean;
  /** Milliseconds until the principal may send again (0: now). */
  retryAfterMs(principal: string): number;
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
    retryAfterMs(principal) {
      const b = buckets.get(principal);
      if (!b) return 0;
      const tokens = Math.min(capacity, b.tokens + (now() - b.at) * refillPerMs);
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / refillPerMs);
    },
  };
}
