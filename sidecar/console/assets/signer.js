// The approver's signing key in this browser: an Ed25519 WebCrypto key that cannot be exported, kept in
// IndexedDB, and the compact JWS statements it signs (the same bytes the `mailwarden approve` command signs).

const DB_NAME = 'mailwarden-console';
const STORE = 'signer';
const RECORD = 'current';
const STATEMENT_LIFETIME_SECONDS = 300;

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function withStore(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export function cryptoAvailable() {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined && typeof indexedDB !== 'undefined';
}

/** The stored signer ({approver, privateKey, publicJwk}) or null. */
export async function loadSigner() {
  const rec = await withStore('readonly', (s) => s.get(RECORD));
  return rec ?? null;
}

/** Creates a new key for `approver`; the private key is non-extractable, so no script can ever read it. */
export async function createSigner(approver) {
  let pair;
  try {
    pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  } catch (err) {
    throw new Error(
      `this browser cannot create Ed25519 keys with WebCrypto (${err.name}); use a current Chromium, Firefox or Safari`,
    );
  }
  // A public key is always exportable, whatever the extractable flag says about the private one.
  const full = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const publicJwk = { kty: full.kty, crv: full.crv, x: full.x };
  const record = { approver, privateKey: pair.privateKey, publicJwk, createdAt: new Date().toISOString() };
  await withStore('readwrite', (s) => s.put(record, RECORD));
  return record;
}

export async function forgetSigner() {
  await withStore('readwrite', (s) => s.delete(RECORD));
}

function base64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const utf8 = (s) => new TextEncoder().encode(s);

export function newNonce() {
  return base64url(crypto.getRandomValues(new Uint8Array(24)));
}

/** Signs `payload` as a compact JWS with the header {"alg":"EdDSA","typ":"mailwarden-statement+jws"}. */
export async function signStatement(signer, payload) {
  const header = base64url(utf8(JSON.stringify({ alg: 'EdDSA', typ: 'mailwarden-statement+jws' })));
  const body = base64url(utf8(JSON.stringify(payload)));
  const input = `${header}.${body}`;
  const signature = await crypto.subtle.sign({ name: 'Ed25519' }, signer.privateKey, utf8(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

function validity() {
  const iat = Math.floor(Date.now() / 1000);
  return { iat, exp: iat + STATEMENT_LIFETIME_SECONDS };
}

export function signDecision(signer, card, decision) {
  const { iat, exp } = validity();
  return signStatement(signer, {
    proposalId: card.id,
    proposalHash: card.hash,
    approver: signer.approver,
    decision,
    nonce: newNonce(),
    iat,
    exp,
  });
}

export function signLockdown(signer, on, reason, principal) {
  const { iat, exp } = validity();
  return signStatement(signer, {
    lockdown: on,
    ...(principal ? { scope: `principal:${principal}` } : {}),
    reason,
    approver: signer.approver,
    nonce: newNonce(),
    iat,
    exp,
  });
}
