// Passkey decisions on the real core (SQLite file, evidence log), signed by a software authenticator that holds a
// real P-256 key: what a phone's authenticator produces, byte for byte, including the cases a browser never would.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApprovalError, newNonce, type PasskeyCredential, verifyPasskeyDecision } from '../sidecar/approval/index.ts';
import { verifyEvidence } from '../sidecar/evidence/index.ts';
import { type Core, createCore, policyWith, SEND } from './support/in-process.ts';

const ORIGIN = 'http://localhost:8765';
const RP_ID = 'localhost';

const b64url = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64url');

/** A passkey held in software: a P-256 key, its COSE public key, and a counter. */
function softwareAuthenticator() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}, CBOR-encoded by hand.
  const cose = Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
    x,
    Buffer.from([0x22, 0x58, 0x20]),
    y,
  ]);
  const credentialId = b64url(createHash('sha256').update(cose).digest().subarray(0, 16));
  return { privateKey, cose, credentialId, counter: 0 };
}
type Authenticator = ReturnType<typeof softwareAuthenticator>;

function credentialOf(a: Authenticator): PasskeyCredential {
  return { v: 1, credentialId: a.credentialId, publicKey: b64url(a.cose), rpId: RP_ID, origins: [ORIGIN] };
}

interface AssertOptions {
  origin?: string;
  rpId?: string;
  flags?: number;
  counter?: number;
  key?: KeyObject;
}

/** What navigator.credentials.get returns, serialised as the console sends it. */
function assert(a: Authenticator, statement: Record<string, unknown>, o: AssertOptions = {}) {
  const counter = o.counter ?? ++a.counter;
  const clientData = Buffer.from(
    JSON.stringify({
      type: 'webauthn.get',
      challenge: b64url(Buffer.from(JSON.stringify(statement))),
      origin: o.origin ?? ORIGIN,
      crossOrigin: false,
    }),
  );
  const authData = Buffer.alloc(37);
  createHash('sha256')
    .update(o.rpId ?? RP_ID)
    .digest()
    .copy(authData, 0);
  authData[32] = o.flags ?? 0x05; // user present + user verified
  authData.writeUInt32BE(counter, 33);
  const signature = sign(
    'sha256',
    Buffer.concat([authData, createHash('sha256').update(clientData).digest()]),
    o.key ?? a.privateKey,
  );
  return {
    id: a.credentialId,
    rawId: a.credentialId,
    type: 'public-key',
    response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature) },
    clientExtensionResults: {},
  };
}

let core: Core;
afterEach(async () => {
  await core?.close();
});

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApprovalError) return err.message;
    throw err;
  }
  throw new Error('expected the decision to be refused');
}

async function setup(quorum = 1) {
  const phone = softwareAuthenticator();
  core = await createCore({
    policyYaml: policyWith({ approvals: { quorum: { write: quorum } } }),
    passkeys: new Map([['owner-phone', credentialOf(phone)]]),
  });
  const rec = await core.proposals.submit('agent-a', SEND as never);
  expect(rec.row.status).toBe('pending_approval');
  const iat = Math.floor(core.clock.now.getTime() / 1000);
  const statement = (over: Record<string, unknown> = {}) => ({
    proposalId: rec.row.id,
    proposalHash: rec.row.hash,
    approver: 'owner-phone',
    decision: 'approve',
    nonce: newNonce(),
    iat,
    exp: iat + 300,
    ...over,
  });
  return { phone, rec, statement };
}

/** The approval_refused reasons recorded for a proposal, read back through the verifier. */
async function refusalReasons(c: Core, proposalId: string): Promise<unknown[]> {
  await c.evidence.close();
  const report = await verifyEvidence({ dir: join(c.dir, 'evidence'), publicKey: c.evidencePublicKey, proposalId });
  if (report.verdict !== 'intact') throw new Error(`evidence is ${report.verdict}`);
  return (report.proposal?.records ?? []).filter((r) => r.type === 'approval_refused').map((r) => r.data['reason']);
}

describe('passkey decisions', () => {
  it('counts a passkey approval toward quorum like an Ed25519 one, and executes exactly once', async () => {
    const { phone, rec, statement } = await setup(2);
    const first = await core.approvals.decide(rec.row.id, { webauthn: assert(phone, statement()) });
    expect(first.outcome).toBe('approved_by_1_of_2');
    const jws = await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve');
    expect((await core.approvals.decide(rec.row.id, jws)).outcome).toBe('executed');
    expect(core.executor.runs).toHaveLength(1);
    // The same person's passkey again does not make a quorum of two.
    expect(await refused(core.approvals.decide(rec.row.id, { webauthn: assert(phone, statement()) }))).toMatch(
      /no longer pending/,
    );
  });

  it('writes the full assertion to evidence, and it re-verifies offline against the enrolled key', async () => {
    const { phone, rec, statement } = await setup();
    expect((await core.approvals.decide(rec.row.id, { webauthn: assert(phone, statement()) })).outcome).toBe(
      'executed',
    );
    await core.evidence.close();
    const cred = credentialOf(phone);
    const report = await verifyEvidence({
      dir: join(core.dir, 'evidence'),
      publicKey: core.evidencePublicKey,
      passkeyCheck: async (approver, assertion) => {
        const check = await verifyPasskeyDecision(assertion, (a) => (a === approver ? cred : null));
        return check.ok ? { ok: true, statement: { ...check.payload } } : { ok: false, message: check.message };
      },
    });
    expect(report.verdict).toBe('intact');
    if (report.verdict === 'intact') expect(report.approvals.verified).toBe(1);
  });

  it.each([
    ['a wrong origin', { origin: 'http://localhost:9999' }, /made on http:\/\/localhost:9999/, 'wrong_origin'],
    ['a wrong RP ID', { rpId: 'evil.example' }, /relying party "localhost"/, 'wrong_rp_id'],
    ['no user verification', { flags: 0x01 }, /did not verify the user/, 'user_not_verified'],
    [
      'a forged signature',
      { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
      /does not verify/,
      'bad_signature',
    ],
  ])('refuses an assertion with %s, with evidence', async (_name, opts, message, reason) => {
    const { phone, rec, statement } = await setup();
    expect(await refused(core.approvals.decide(rec.row.id, { webauthn: assert(phone, statement(), opts) }))).toMatch(
      message,
    );
    expect(core.executor.runs).toHaveLength(0);
    expect(await refusalReasons(core, rec.row.id)).toEqual([reason]);
  });

  it('refuses an assertion made for another proposal or another hash', async () => {
    const { phone, rec, statement } = await setup();
    const other = await core.proposals.submit('agent-a', {
      ...SEND,
      params: { ...SEND.params, subject: 'Other' },
    } as never);
    const forOther = assert(phone, statement({ proposalId: other.row.id, proposalHash: other.row.hash }));
    expect(await refused(core.approvals.decide(rec.row.id, { webauthn: forOther }))).toMatch(/signed for proposal/);
    const wrongHash = assert(phone, statement({ proposalHash: other.row.hash }));
    expect(await refused(core.approvals.decide(rec.row.id, { webauthn: wrongHash }))).toMatch(/not the hash/);
    expect(core.executor.runs).toHaveLength(0);
    expect(await refusalReasons(core, rec.row.id)).toEqual(['wrong_proposal', 'wrong_hash']);
  });

  it('refuses a replay and a sign-count regression', async () => {
    const { phone, rec, statement } = await setup(2);
    const once = assert(phone, statement());
    expect((await core.approvals.decide(rec.row.id, { webauthn: once })).outcome).toBe('approved_by_1_of_2');
    expect(await refused(core.approvals.decide(rec.row.id, { webauthn: once }))).toMatch(/replay/);
    // A fresh statement, but the counter went backwards: a cloned authenticator.
    const cloned = assert(phone, statement(), { counter: 1 });
    expect(await refused(core.approvals.decide(rec.row.id, { webauthn: cloned }))).toMatch(/counter went backwards/);
    expect(core.executor.runs).toHaveLength(0);
    expect(await refusalReasons(core, rec.row.id)).toEqual(['replay', 'sign_count_regression']);
  });

  it('re-verifies the stored assertion at execution: an edited one does not execute', async () => {
    const { phone, rec, statement } = await setup(2);
    await core.approvals.decide(rec.row.id, { webauthn: assert(phone, statement()) });
    // Someone with write access to state swaps the stored assertion's signature for garbage.
    const row = core.db.prepare('SELECT jws FROM approvals WHERE proposal_id = ?').get(rec.row.id) as { jws: string };
    const stored = JSON.parse(row.jws.slice('webauthn:'.length));
    stored.response.signature = b64url(Buffer.alloc(70, 1));
    core.db
      .prepare('UPDATE approvals SET jws = ? WHERE proposal_id = ?')
      .run(`webauthn:${JSON.stringify(stored)}`, rec.row.id);
    const jws = await core.sign(core.approvers[0]!, rec.row.id, rec.row.hash, 'approve');
    await core.approvals.decide(rec.row.id, jws);
    expect(core.executor.runs).toHaveLength(0);
    expect(core.proposals.load(rec.row.id)?.row.status).toBe('failed');
  });
});
