// Passkey (WebAuthn) decisions: the signed challenge IS the decision statement, verified like an Ed25519 one.
//
// The browser builds the same payload an Ed25519 signer signs ({proposalId, proposalHash, approver, decision,
// nonce, iat, exp}) and uses its UTF-8 JSON as the WebAuthn challenge, with user verification required. The
// authenticator signs authenticatorData || SHA-256(clientDataJSON), and clientDataJSON carries the challenge,
// so the assertion alone proves who decided what about which proposal: no server-side challenge to keep, and
// an auditor re-checks it offline from the evidence record and the enrolled public key.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type AuthenticationResponseJSON, verifyAuthenticationResponse } from '@simplewebauthn/server';
import { z } from 'zod';
import { type DecisionPayload, DecisionPayloadSchema, describeIssue } from '../../shared/index.ts';
import { durably, type StateDb } from '../state/index.ts';
import type { StatementRefusal } from './statements.ts';

const B64URL = /^[A-Za-z0-9_-]+$/;
const b64url = (what: string, max = 4096) =>
  z.string().min(1).max(max).regex(B64URL, `${what} must be base64url without padding`);

/** An enrolled passkey, as `mailwarden approver add --webauthn` stores it next to the config. */
export const PasskeyCredentialSchema = z.strictObject({
  v: z.literal(1),
  credentialId: b64url('credentialId', 1024),
  /** The credential's COSE public key. */
  publicKey: b64url('publicKey'),
  /** The relying party id the passkey is bound to: the console's host name (e.g. "localhost"). */
  rpId: z.string().min(1).max(253),
  /** The console origins (scheme, host, port) an assertion may come from. */
  origins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as http://localhost:8765')).min(1),
});
export type PasskeyCredential = z.infer<typeof PasskeyCredentialSchema>;

/** An assertion as the browser serialises it (AuthenticationResponseJSON). */
export const PasskeyAssertionSchema = z.strictObject({
  id: b64url('id', 1024),
  rawId: b64url('rawId', 1024),
  type: z.literal('public-key'),
  response: z.strictObject({
    clientDataJSON: b64url('response.clientDataJSON', 8192),
    authenticatorData: b64url('response.authenticatorData'),
    signature: b64url('response.signature'),
    userHandle: b64url('response.userHandle', 512).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});
export type PasskeyAssertion = z.infer<typeof PasskeyAssertionSchema>;

export type PasskeyRefusal =
  | StatementRefusal
  | 'wrong_credential'
  | 'wrong_origin'
  | 'wrong_rp_id'
  | 'user_not_verified'
  | 'sign_count_regression';

export type PasskeyCheck =
  | {
      ok: true;
      payload: DecisionPayload;
      approver: string;
      credentialId: string;
      signCount: number;
      /** The assertion as parsed (what goes to evidence). */
      assertion: PasskeyAssertion;
    }
  | { ok: false; reason: PasskeyRefusal; message: string; approver?: string };

export function readPasskeyCredential(file: string): PasskeyCredential {
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const parsed = PasskeyCredentialSchema.safeParse(data);
  if (!parsed.success) throw new Error(`${file}: ${describeIssue(parsed.error).message}`);
  return parsed.data;
}

const MAX_LIFETIME_SECONDS = 24 * 3600;
const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;

function fail(reason: PasskeyRefusal, message: string, approver?: string): PasskeyCheck {
  return approver === undefined ? { ok: false, reason, message } : { ok: false, reason, message, approver };
}

export interface PasskeyVerifyOptions {
  /** The clock for iat/exp; omitted at execution and in offline re-checks, where only the binding matters. */
  readonly time?: { readonly now: Date; readonly skewSeconds: number };
}

/**
 * Verifies an assertion against the approver's enrolled credential: origin, RP ID, user verification and the
 * signature (through @simplewebauthn/server), then the statement in the challenge. The sign count is only read
 * here; `SignCounts.advance` enforces that it grows.
 */
export async function verifyPasskeyDecision(
  input: unknown,
  credentialOf: (approver: string) => PasskeyCredential | null,
  opts: PasskeyVerifyOptions = {},
): Promise<PasskeyCheck> {
  const parsed = PasskeyAssertionSchema.safeParse(input);
  if (!parsed.success) return fail('malformed', describeIssue(parsed.error, { root: 'webauthn' }).message);
  const assertion = parsed.data;
  let client: { type?: unknown; challenge?: unknown; origin?: unknown };
  let statement: unknown;
  try {
    client = JSON.parse(Buffer.from(assertion.response.clientDataJSON, 'base64url').toString('utf8'));
    statement = JSON.parse(Buffer.from(String(client.challenge), 'base64url').toString('utf8'));
  } catch {
    return fail('malformed', 'the assertion does not carry a decision statement as its challenge');
  }
  const payload = DecisionPayloadSchema.safeParse(statement);
  if (!payload.success) return fail('malformed', describeIssue(payload.error, { root: 'challenge' }).message);
  const p = payload.data;
  const cred = credentialOf(p.approver);
  if (!cred) {
    return fail('unknown_approver', `approver "${p.approver}" has no enrolled passkey (or was revoked)`, p.approver);
  }
  if (assertion.id !== cred.credentialId || assertion.rawId !== cred.credentialId) {
    return fail('wrong_credential', `this passkey is not the one enrolled for ${p.approver}`, p.approver);
  }
  if (client.type !== 'webauthn.get') return fail('malformed', 'not an assertion (webauthn.get)', p.approver);
  if (typeof client.origin !== 'string' || !cred.origins.includes(client.origin)) {
    return fail(
      'wrong_origin',
      `the assertion was made on ${String(client.origin)}, not on the enrolled console origin (${cred.origins.join(', ')})`,
      p.approver,
    );
  }
  const authData = Buffer.from(assertion.response.authenticatorData, 'base64url');
  if (authData.length < 37) return fail('malformed', 'authenticatorData is too short', p.approver);
  const rpIdHash = createHash('sha256').update(cred.rpId).digest();
  if (!authData.subarray(0, 32).equals(rpIdHash)) {
    return fail('wrong_rp_id', `the assertion is not for the relying party "${cred.rpId}"`, p.approver);
  }
  const flags = authData[32]!;
  if ((flags & FLAG_USER_PRESENT) === 0 || (flags & FLAG_USER_VERIFIED) === 0) {
    return fail(
      'user_not_verified',
      'the authenticator did not verify the user (PIN or biometrics required)',
      p.approver,
    );
  }
  const signCount = authData.readUInt32BE(33);
  try {
    const result = await verifyAuthenticationResponse({
      response: assertion as AuthenticationResponseJSON,
      expectedChallenge: String(client.challenge),
      expectedOrigin: cred.origins,
      expectedRPID: cred.rpId,
      // The sign count is enforced against state by SignCounts, not here, so re-checks stay possible.
      credential: { id: cred.credentialId, publicKey: Buffer.from(cred.publicKey, 'base64url'), counter: 0 },
      requireUserVerification: true,
    });
    if (!result.verified)
      return fail('bad_signature', "the assertion does not verify with the passkey's key", p.approver);
  } catch (err) {
    return fail('bad_signature', `the assertion does not verify: ${(err as Error).message}`, p.approver);
  }
  if (opts.time) {
    const now = Math.floor(opts.time.now.getTime() / 1000);
    const skew = opts.time.skewSeconds;
    if (p.exp <= now - skew) return fail('expired', 'the statement has expired; decide again', p.approver);
    if (p.iat > now + skew) {
      return fail('not_yet_valid', "the statement is issued in the future; check the device's clock", p.approver);
    }
  }
  if (p.exp - p.iat > MAX_LIFETIME_SECONDS) {
    return fail('lifetime_too_long', 'a statement may be valid for at most 24 hours', p.approver);
  }
  return { ok: true, payload: p, approver: p.approver, credentialId: cred.credentialId, signCount, assertion };
}

/** The highest sign count seen per credential. */
export interface SignCounts {
  /**
   * Records `count` for the credential if it is higher than any seen before. False on a regression (a cloned
   * authenticator, or an old assertion), except for authenticators that always report 0, as WebAuthn allows.
   */
  advance(credentialId: string, count: number): boolean;
}

export function createSignCounts(db: StateDb, now: () => Date): SignCounts {
  // Kept in its own table, created here, so the passkey path needs no slot in the shared migration sequence.
  db.exec(
    'CREATE TABLE IF NOT EXISTS passkey_sign_counts (credential_id TEXT PRIMARY KEY, count INTEGER NOT NULL, at TEXT NOT NULL)',
  );
  const get = db.prepare('SELECT count FROM passkey_sign_counts WHERE credential_id = ?');
  const put = db.prepare(
    'INSERT INTO passkey_sign_counts (credential_id, count, at) VALUES (?, ?, ?) ON CONFLICT (credential_id) DO UPDATE SET count = excluded.count, at = excluded.at',
  );
  return {
    advance(credentialId, count) {
      const step = db.transaction(() => {
        const row = get.get(credentialId) as { count: number } | undefined;
        const seen = row?.count ?? 0;
        if ((count > 0 || seen > 0) && count <= seen) return false;
        put.run(credentialId, count, now().toISOString());
        return true;
      });
      return durably(db, () => step());
    },
  };
}

/** How a passkey decision is kept in the approvals table and recognised there again. */
export const PASSKEY_PREFIX = 'webauthn:';
