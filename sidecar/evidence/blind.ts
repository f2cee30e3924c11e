// Keyed digests for values that must stay linkable across records but never readable (addresses, bodies).
import { createHmac } from 'node:crypto';

export function createBlinder(key: Uint8Array): (value: string) => string {
  // SECURITY: a short key would make the HMAC guessable for low-entropy values such as addresses.
  if (key.length < 32) throw new Error('the evidence blinding key must be at least 32 bytes');
  const copy = Buffer.from(key);
  return (value) => `hmac-sha256:${createHmac('sha256', copy).update(value, 'utf8').digest('hex')}`;
}
