// Content hashes in the `sha256:<hex>` form the contract uses for proposals.
import { createHash } from 'node:crypto';
import { canonicalize } from './canonical-json.ts';

export type Sha256Digest = `sha256:${string}`;

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256Digest(data: string | Uint8Array): Sha256Digest {
  return `sha256:${sha256Hex(data)}`;
}

/** The hash of a JSON value: SHA-256 over its RFC 8785 canonical bytes. */
export function canonicalDigest(value: unknown): Sha256Digest {
  return sha256Digest(canonicalize(value));
}

export function isSha256Digest(value: unknown): value is Sha256Digest {
  return typeof value === 'string' && /^sha256:[0-9a-f]{64}$/.test(value);
}
