// The webhook signature: HMAC-SHA256 over "<timestamp>.<body>", so a receiver can check origin, integrity and age.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-mailwarden-signature';
export const TIMESTAMP_HEADER = 'x-mailwarden-timestamp';

/** "v1=<hex>" for the body sent at `timestamp` (seconds since the epoch). */
export function signWebhookBody(secret: Buffer, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute the signature over the exact bytes received and compare in constant time;
 * refuse a timestamp further than `toleranceSeconds` from its own clock (a replayed old delivery).
 */
export function verifyWebhookSignature(
  secret: Buffer,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' } {
  if (!headers.signature || !headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp))
    return { ok: false, reason: 'missing' };
  const ts = Number(headers.timestamp);
  if (Math.abs(nowSeconds - ts) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const want = Buffer.from(signWebhookBody(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
