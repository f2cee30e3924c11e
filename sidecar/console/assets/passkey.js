// Passkeys (WebAuthn) in this browser: enrolment, and decisions whose challenge is the decision statement itself.
// The private key stays in the authenticator (phone, laptop or security key); user verification is required.

const STATEMENT_LIFETIME_SECONDS = 300;

function base64url(bytes) {
  let bin = '';
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function passkeysAvailable() {
  return typeof window.PublicKeyCredential === 'function' && window.isSecureContext;
}

/** Passkeys enrolled for the origin this page is on (a passkey is bound to its relying party id and origin). */
export function usableHere(passkeys) {
  return passkeys.filter((p) => p.rpId === location.hostname && p.origins.includes(location.origin));
}

/** Creates a passkey from the console's registration options; returns the response to send back. */
export async function createPasskey(options) {
  const publicKey = {
    ...options,
    challenge: fromBase64url(options.challenge),
    user: { ...options.user, id: fromBase64url(options.user.id) },
    excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({ ...c, id: fromBase64url(c.id) })),
  };
  const cred = await navigator.credentials.create({ publicKey });
  if (!cred) throw new Error('no passkey was created');
  return {
    id: cred.id,
    rawId: base64url(cred.rawId),
    type: cred.type,
    response: {
      clientDataJSON: base64url(cred.response.clientDataJSON),
      attestationObject: base64url(cred.response.attestationObject),
      transports: typeof cred.response.getTransports === 'function' ? cred.response.getTransports() : [],
    },
    clientExtensionResults: cred.getClientExtensionResults(),
    ...(cred.authenticatorAttachment ? { authenticatorAttachment: cred.authenticatorAttachment } : {}),
  };
}

function newNonce() {
  return base64url(crypto.getRandomValues(new Uint8Array(24)));
}

/**
 * Decides with the passkey: the challenge is the UTF-8 JSON of the same statement an Ed25519 key would sign,
 * so the authenticator's signature covers proposal id, hash, decision, nonce and expiry.
 */
export async function passkeyDecision(passkey, card, decision) {
  const iat = Math.floor(Date.now() / 1000);
  const statement = {
    proposalId: card.id,
    proposalHash: card.hash,
    approver: passkey.approver,
    decision,
    nonce: newNonce(),
    iat,
    exp: iat + STATEMENT_LIFETIME_SECONDS,
  };
  const cred = await navigator.credentials.get({
    publicKey: {
      challenge: new TextEncoder().encode(JSON.stringify(statement)),
      rpId: passkey.rpId,
      allowCredentials: [{ type: 'public-key', id: fromBase64url(passkey.credentialId) }],
      userVerification: 'required',
      timeout: 120_000,
    },
  });
  if (!cred) throw new Error('the passkey gave no answer');
  return {
    id: cred.id,
    rawId: base64url(cred.rawId),
    type: cred.type,
    response: {
      clientDataJSON: base64url(cred.response.clientDataJSON),
      authenticatorData: base64url(cred.response.authenticatorData),
      signature: base64url(cred.response.signature),
      ...(cred.response.userHandle ? { userHandle: base64url(cred.response.userHandle) } : {}),
    },
    clientExtensionResults: cred.getClientExtensionResults(),
    ...(cred.authenticatorAttachment ? { authenticatorAttachment: cred.authenticatorAttachment } : {}),
  };
}
