// Evidence signing keys: generation for `mailwarden init` and loading of the public key for verifiers.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { EvidenceError } from './errors.ts';

/** A fresh Ed25519 pair: PKCS#8 private key and SPKI public key, both PEM. */
export function generateEvidenceKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** Read an Ed25519 public key from PEM (SPKI) or a JWK JSON text; a private key yields its public half. */
export function parseEd25519PublicKey(text: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    const trimmed = text.trim();
    key = trimmed.startsWith('{')
      ? createPublicKey({ key: JSON.parse(trimmed) as import('node:crypto').JsonWebKey, format: 'jwk' })
      : createPublicKey(trimmed);
  } catch (err) {
    throw new EvidenceError('EVIDENCE_KEY_INVALID', `${where} is not a readable public key (PEM or JWK)`, {
      cause: err,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new EvidenceError('EVIDENCE_KEY_INVALID', `${where} must hold an Ed25519 key`);
  }
  return key;
}
