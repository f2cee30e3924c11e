// Signing and verifying operator statements (decisions, lockdown) as compact JWS; no algorithm confusion.

import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { CompactSign, errors, type JWSHeaderParameters, type JWTPayload, jwtVerify } from 'jose';
import type { z } from 'zod';
import { describeIssue } from '../../shared/index.ts';
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

/** Signs a statement; the approver it names also goes in the header as `kid`, so verifiers pick the key from it. */
export async function signStatement(payload: object, key: KeyObject, alg: 'EdDSA' | 'HS256'): Promise<string> {
  const approver = 'approver' in payload && typeof payload.approver === 'string' ? payload.approver : undefined;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, typ: 'mailwarden-statement+jws', ...(approver === undefined ? {} : { kid: approver }) })
    .sign(key);
}

/** Raised inside the key resolver when the statement names nobody the sidecar knows. */
class UnknownApprover extends Error {
  constructor(readonly approver: string | null) {
    super('unknown approver');
  }
}

/**
 * The approver a statement names: its `kid` header, else the payload's `approver` (the contract puts it there;
 * it is read only to pick the key, and must match the verified payload afterwards).
 */
function namedApprover(header: JWSHeaderParameters, payload: string): string | null {
  if (typeof header.kid === 'string') return header.kid;
  try {
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (data && typeof data === 'object' && 'approver' in data && typeof data.approver === 'string') {
      return data.approver;
    }
  } catch {
    return null;
  }
  return null;
}

function refusal<T>(reason: StatementRefusal, message: string, approver: string | null): StatementCheck<T> {
  return approver === null ? { ok: false, reason, message } : { ok: false, reason, approver, message };
}

/** jose's verdict on a statement it refused, in the statement vocabulary. */
function refusalOf<T>(err: unknown, alg: string, approver: string | null): StatementCheck<T> {
  if (err instanceof UnknownApprover) {
    return err.approver === null
      ? refusal('malformed', 'the statement is not a compact JWS with an approver', null)
      : refusal('unknown_approver', `approver "${err.approver}" is not configured (or was revoked)`, err.approver);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return refusal('wrong_algorithm', `only ${alg} statements are accepted`, approver);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return refusal('bad_signature', "the signature does not verify with the approver's key", approver);
  }
  if (err instanceof errors.JWTExpired) {
    return refusal('expired', 'the statement has expired; sign a new one', approver);
  }
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'iat' && err.reason === 'check_failed') {
    return refusal('not_yet_valid', "the statement is issued in the future; check the signer's clock", approver);
  }
  return refusal('malformed', `the statement could not be verified: ${(err as Error).message}`, approver);
}

export async function verifyStatement<S extends z.ZodType<{ approver: string; iat: number; exp: number }>>(
  jws: string,
  schema: S,
  keyring: ApproverKeyring,
  opts: { now: Date; skewSeconds: number },
): Promise<StatementCheck<z.infer<S>>> {
  // SECURITY: the algorithm is fixed by the sidecar's mode, never taken from the token's header.
  const alg = keyring.mode === 'eddsa' ? 'EdDSA' : 'HS256';
  let approver: string | null = null;
  let payload: JWTPayload;
  try {
    const verified = await jwtVerify(
      jws,
      (header, token) => {
        approver = namedApprover(header, String(token.payload));
        const key = approver === null ? undefined : keyring.keyOf(approver);
        if (!key) throw new UnknownApprover(approver);
        return key;
      },
      {
        algorithms: [alg],
        currentDate: opts.now,
        clockTolerance: opts.skewSeconds,
        requiredClaims: ['iat', 'exp'],
        maxTokenAge: MAX_LIFETIME_SECONDS,
      },
    );
    payload = verified.payload;
  } catch (err) {
    return refusalOf(err, alg, approver);
  }
  const named = approver as string | null;
  if (named === null) return refusal('malformed', 'the statement is not a compact JWS with an approver', null);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    return {
      ok: false,
      reason: 'malformed',
      approver: named,
      message: describeIssue(parsed.error, { root: 'payload' }).message,
    };
  }
  const p = parsed.data;
  if (p.approver !== named)
    return { ok: false, reason: 'malformed', approver: named, message: 'approver changed between header and payload' };
  if (p.exp - p.iat > MAX_LIFETIME_SECONDS) {
    return {
      ok: false,
      reason: 'lifetime_too_long',
      approver: named,
      message: 'a statement may be valid for at most 24 hours',
    };
  }
  return { ok: true, payload: p, approver: named };
}
