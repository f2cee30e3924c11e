// Signing and verifying operator statements (decisions, lockdown) as compact JWS; no algorithm confusion.

import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { CompactSign, compactVerify, errors } from 'jose';
import type { z } from 'zod';
import type { ApproverKeyring } from './keys.ts';

export type StatementCheck<T> =
  | { ok: true; payload: T; approver: string }
  | { ok: false; reason: StatementRefusal; message: string; approver?: string };

export type StatementRefusal =
  | 'malformed'
  | 'wrong_algorithm'
  | 'unknown_approver'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'lifetime_too_long';

const MAX_LIFETIME_SECONDS = 24 * 3600;

export function newNonce(): string {
  return randomBytes(24).toString('base64url');
}

export async function signStatement(payload: object, key: KeyObject, alg: 'EdDSA' | 'HS256'): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, typ: 'mailwarden-statement+jws' })
    .sign(key);
}

function peekApprover(jws: string): string | null {
  const part = jws.split('.')[1];
  if (!part) return null;
  try {
    const data = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    if (data && typeof data === 'object' && 'approver' in data && typeof data.approver === 'string')
      return data.approver;
  } catch {
    return null;
  }
  return null;
}

export async function verifyStatement<S extends z.ZodType<{ approver: string; iat: number; exp: number }>>(
  jws: string,
  schema: S,
  keyring: ApproverKeyring,
  opts: { now: Date; skewSeconds: number },
): Promise<StatementCheck<z.infer<S>>> {
  const approver = peekApprover(jws);
  if (approver === null)
    return { ok: false, reason: 'malformed', message: 'the statement is not a compact JWS with an approver' };
  const key = keyring.keyOf(approver);
  if (!key) {
    return {
      ok: false,
      reason: 'unknown_approver',
      approver,
      message: `approver "${approver}" is not configured (or was revoked)`,
    };
  }
  // SECURITY: the algorithm is fixed by the sidecar's mode, never taken from the token's header.
  const alg = keyring.mode === 'eddsa' ? 'EdDSA' : 'HS256';
  let payloadBytes: Uint8Array;
  try {
    const verified = await compactVerify(jws, key, { algorithms: [alg] });
    payloadBytes = verified.payload;
  } catch (err) {
    if (err instanceof errors.JOSEAlgNotAllowed) {
      return { ok: false, reason: 'wrong_algorithm', approver, message: `only ${alg} statements are accepted` };
    }
    if (err instanceof errors.JWSSignatureVerificationFailed) {
      return {
        ok: false,
        reason: 'bad_signature',
        approver,
        message: "the signature does not verify with the approver's key",
      };
    }
    return {
      ok: false,
      reason: 'malformed',
      approver,
      message: `the statement could not be verified: ${(err as Error).message}`,
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(payloadBytes));
  } catch {
    return { ok: false, reason: 'malformed', approver, message: 'the payload is not JSON' };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      reason: 'malformed',
      approver,
      message: `payload.${issue.path.map(String).join('.')}: ${issue.message}`,
    };
  }
  const p = parsed.data;
  if (p.approver !== approver)
    return { ok: false, reason: 'malformed', approver, message: 'approver changed between header and payload' };
  const now = Math.floor(opts.now.getTime() / 1000);
  if (p.exp <= now - opts.skewSeconds)
    return { ok: false, reason: 'expired', approver, message: 'the statement has expired; sign a new one' };
  if (p.iat > now + opts.skewSeconds) {
    return {
      ok: false,
      reason: 'not_yet_valid',
      approver,
      message: "the statement is issued in the future; check the signer's clock",
    };
  }
  if (p.exp - p.iat > MAX_LIFETIME_SECONDS) {
    return {
      ok: false,
      reason: 'lifetime_too_long',
      approver,
      message: 'a statement may be valid for at most 24 hours',
    };
  }
  return { ok: true, payload: p, approver };
}
