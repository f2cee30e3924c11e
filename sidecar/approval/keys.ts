// Approver keys: Ed25519 public keys by default, HMAC secrets only in the explicit weaker mode.
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApproverEntry } from '../config/index.ts';
import { MailwardenError } from '../errors.ts';
import { type PasskeyCredential, readPasskeyCredential } from './webauthn.ts';

export type ApprovalMode = 'eddsa' | 'hs256';

export class ApproverKeyError extends MailwardenError<'APPROVER_KEY_INVALID'> {
  override readonly name = 'ApproverKeyError';
}

export interface ApproverKeyring {
  readonly mode: ApprovalMode;
  /** The verification key of an approver, or null when the approver is unknown or revoked. */
  keyOf(approver: string): KeyObject | null;
  readonly approvers: readonly string[];
  /** The approver's enrolled passkey, or null (absent in keyrings built before passkeys existed). */
  passkeyOf?(approver: string): PasskeyCredential | null;
}

export function loadApproverKeyring(mode: ApprovalMode, entries: readonly ApproverEntry[]): ApproverKeyring {
  const keys = new Map<string, KeyObject>();
  const passkeys = new Map<string, PasskeyCredential>();
  for (const e of entries) {
    if (e.webauthn) {
      try {
        passkeys.set(e.id, readPasskeyCredential(e.webauthn));
      } catch (err) {
        throw new ApproverKeyError(
          'APPROVER_KEY_INVALID',
          `approvals.approvers.${e.id}.webauthn: ${(err as Error).message}; enrol again with \`mailwarden approver add --webauthn\``,
        );
      }
      if (!e.publicKey && !e.secret) continue;
    }
    if (mode === 'eddsa') {
      if (!e.publicKey) {
        throw new ApproverKeyError(
          'APPROVER_KEY_INVALID',
          `approvals.approvers.${e.id}: needs publicKey (an Ed25519 public key PEM file) in eddsa mode`,
        );
      }
      const key = createPublicKey(readFileSync(e.publicKey));
      if (key.asymmetricKeyType !== 'ed25519') {
        throw new ApproverKeyError(
          'APPROVER_KEY_INVALID',
          `${e.publicKey}: approver ${e.id}'s key is ${key.asymmetricKeyType}, not Ed25519; run \`mailwarden keygen\``,
        );
      }
      keys.set(e.id, key);
    } else {
      if (!e.secret) {
        throw new ApproverKeyError(
          'APPROVER_KEY_INVALID',
          `approvals.approvers.${e.id}: needs secret (a file with at least 32 random bytes) in hs256 mode`,
        );
      }
      const raw = Buffer.from(readFileSync(e.secret, 'utf8').trim(), 'base64');
      if (raw.length < 32) {
        throw new ApproverKeyError(
          'APPROVER_KEY_INVALID',
          `${e.secret}: approver ${e.id}'s secret must hold at least 32 bytes (base64)`,
        );
      }
      keys.set(e.id, createSecretKey(raw));
    }
  }
  return {
    mode,
    keyOf: (a) => keys.get(a) ?? null,
    passkeyOf: (a) => passkeys.get(a) ?? null,
    approvers: [...new Set([...keys.keys(), ...passkeys.keys()])],
  };
}

export function generateApproverKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Read an approver's private key for signing on the operator's side (Ed25519 PEM, or a base64 HMAC secret). */
export function loadSigningKey(file: string): { key: KeyObject; alg: 'EdDSA' | 'HS256' } {
  const text = readFileSync(file, 'utf8');
  if (text.includes('PRIVATE KEY')) {
    const key = createPrivateKey(text);
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new ApproverKeyError('APPROVER_KEY_INVALID', `${file}: not an Ed25519 private key`);
    }
    return { key, alg: 'EdDSA' };
  }
  return { key: createSecretKey(Buffer.from(text.trim(), 'base64')), alg: 'HS256' };
}

/**
 * A keyring that follows the config file: when the file changes (e.g. `mailwarden approver add`), the
 * approvers are read again, so enrolling or revoking an approver needs no restart. A config that no longer
 * loads keeps the last good keyring and reports the problem.
 */
export function createReloadingKeyring(
  initial: ApproverKeyring,
  watch: { mtimeMs: () => number | null; reload: () => ApproverKeyring; onError: (err: unknown) => void },
): ApproverKeyring {
  let current = initial;
  let seen = watch.mtimeMs();
  const fresh = (): ApproverKeyring => {
    const m = watch.mtimeMs();
    if (m !== null && m !== seen) {
      seen = m;
      try {
        const next = watch.reload();
        if (next.mode === current.mode) current = next;
        else watch.onError(new Error('approvals.mode changed; restart the sidecar to switch modes'));
      } catch (err) {
        watch.onError(err);
      }
    }
    return current;
  };
  return {
    get mode() {
      return current.mode;
    },
    get approvers() {
      return fresh().approvers;
    },
    keyOf: (a) => fresh().keyOf(a),
    passkeyOf: (a) => fresh().passkeyOf?.(a) ?? null,
  };
}
