// The verifier and `mailwarden evidence verify`: verdicts, reasons, proposal trails, approvals, exit codes.
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../shared/canonical-json.ts';
import {
  evidenceVerifyCommand,
  generateEvidenceKeys,
  openEvidenceLog,
  RECORD_DOMAIN,
  verifyEvidence,
} from '../sidecar/evidence/index.ts';

const keys = generateEvidenceKeys();
const alice = generateKeyPairSync('ed25519');
const mallory = generateKeyPairSync('ed25519');
let root: string;
let dir: string;
let pubPath: string;
let alicePath: string;
const seg = 'evidence-0000000000000000.jsonl';
let pristine: Buffer;
let publicKey: KeyObject;

async function approval(proposalId: string, approver: string, key: KeyObject): Promise<string> {
  const payload = { proposalId, proposalHash: `sha256:${'a'.repeat(64)}`, approver, decision: 'approve', nonce: 'n1' };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA' })
    .sign(key);
}

function capture(isTTY = false) {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (s: string) => {
      out.stdout += s;
    },
    stderr: (s: string) => {
      out.stderr += s;
    },
    isTTY,
  };
  return { out, io };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mw-verify-'));
  dir = join(root, 'log');
  pubPath = join(root, 'evidence.pub');
  alicePath = join(root, 'alice.pub');
  await writeFile(pubPath, keys.publicKeyPem);
  await writeFile(alicePath, alice.publicKey.export({ format: 'pem', type: 'spki' }));
  const { createPrivateKey, createPublicKey } = await import('node:crypto');
  publicKey = createPublicKey(keys.publicKeyPem);
  const log = await openEvidenceLog({
    dir,
    signingKey: createPrivateKey(keys.privateKeyPem),
    blindingKey: Buffer.alloc(32, 9),
    origin: 'mailwarden/verify',
    checkpointEvery: { records: 4, seconds: 0 },
  });
  await log.append({ type: 'sidecar_started' });
  await log.append({ type: 'proposal_submitted', proposalId: 'p_1', principal: 'agent:a', data: { hash: 'sha256:1' } });
  await log.append({
    type: 'decision',
    proposalId: 'p_1',
    data: { decision: 'approve', rules: ['send-needs-approval'] },
  });
  await log.append({ type: 'proposal_submitted', proposalId: 'p_2', principal: 'agent:a' });
  const jws = await approval('p_1', 'alice', alice.privateKey);
  await log.append({
    type: 'approval_accepted',
    proposalId: 'p_1',
    principal: 'operator',
    data: { jws, approver: 'alice' },
  });
  await log.append({ type: 'execution_started', proposalId: 'p_1' });
  await log.append({ type: 'execution_finished', proposalId: 'p_1', data: { status: 'executed' } });
  await log.append({ type: 'decision', proposalId: 'p_2', data: { decision: 'deny' } });
  await log.close();
  pristine = await readFile(join(dir, seg));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function withSegment<T>(mutate: (lines: string[]) => string[], fn: () => Promise<T>): Promise<T> {
  const lines = pristine.toString('utf8').split('\n').slice(0, -1);
  await writeFile(
    join(dir, seg),
    mutate([...lines])
      .map((l) => `${l}\n`)
      .join(''),
  );
  try {
    return await fn();
  } finally {
    await writeFile(join(dir, seg), pristine);
  }
}

const remove = (i: number) => (ls: string[]) => ls.filter((_, k) => k !== i);
const paths = () => ({ dir, publicKeyPath: pubPath, approverKeyPaths: { alice: alicePath } });

describe('verifyEvidence', () => {
  it('says intact, re-verifies approvals, and reports progress up to the end', async () => {
    let last: [number, number] = [0, 0];
    const r = await verifyEvidence({
      dir,
      publicKey,
      approverKeys: new Map([['alice', alice.publicKey]]),
      onProgress: (d, t) => {
        last = [d, t];
      },
    });
    expect(r).toMatchObject({ verdict: 'intact', records: 8, lastSeq: 7, signedSize: 8, approvals: { verified: 1 } });
    expect(last[0]).toBe(last[1]);
    expect(last[1]).toBe(pristine.length);
  });

  const replace = (i: number, f: (l: string) => string) => (ls: string[]) => ls.map((l, k) => (k === i ? f(l) : l));
  const insert = (i: number, line: string) => (ls: string[]) => [...ls.slice(0, i), line, ...ls.slice(i)];
  const swap = (i: number) => (ls: string[]) => [...ls.slice(0, i), ls[i + 1]!, ls[i]!, ...ls.slice(i + 2)];
  it.each([
    ['a changed field', replace(2, (l) => l.replace('approve', 'allow')), 3, 'hash_mismatch'],
    ['a deleted record', remove(3), 4, 'sequence_gap'],
    ['two records swapped', swap(3), 4, 'reorder'],
    ['a garbage line', insert(5, 'not json'), 6, 'malformed'],
    ['a cut last record', (ls: string[]) => ls.slice(0, -1), 8, 'truncation'],
    ['a re-hashed forgery', replace(2, forge), 4, 'prev_mismatch'],
  ])('names the first bad record for %s', async (_name, mutate, line, reason) => {
    const r = await withSegment(mutate, () => verifyEvidence({ dir, publicKey }));
    expect(r).toMatchObject({ verdict: 'tampered', firstBad: { file: seg, line, reason } });
  });

  it.each([
    ['a genuine approval', 'alice', 'p_9', 'intact'],
    ['a signature by another key', 'mallory', 'p_9', 'tampered'],
    ["alice's real signature for another proposal", 'alice', 'p_1', 'tampered'],
  ])('re-verifies recorded approval signatures: %s', async (_name, signer, signedFor, verdict) => {
    // A sidecar that (through a bug or compromise) recorded whatever approval it was handed.
    const { createPrivateKey } = await import('node:crypto');
    const approvalDir = await mkdtemp(join(root, 'approval-'));
    const log = await openEvidenceLog({
      dir: approvalDir,
      signingKey: createPrivateKey(keys.privateKeyPem),
      blindingKey: Buffer.alloc(32, 9),
      origin: 'mailwarden/verify',
    });
    await log.append({ type: 'proposal_submitted', proposalId: 'p_9' });
    const jws = await approval(signedFor, 'alice', (signer === 'alice' ? alice : mallory).privateKey);
    await log.append({ type: 'approval_accepted', proposalId: 'p_9', data: { jws, approver: 'alice' } });
    await log.close();
    const r = await verifyEvidence({
      dir: approvalDir,
      publicKey,
      approverKeys: new Map([['alice', alice.publicKey]]),
    });
    expect(r.verdict).toBe(verdict);
    if (r.verdict === 'tampered')
      expect(r.firstBad).toMatchObject({ file: seg, line: 2, seq: 1, reason: 'bad_signature' });
    // Without alice's key nothing can be re-checked: the chain is intact, with a warning that says so.
    const unchecked = await verifyEvidence({ dir: approvalDir, publicKey });
    expect(unchecked).toMatchObject({ verdict: 'intact', approvals: { verified: 0, unchecked: 1 } });
  });

  it('cannot verify without a public key, or with the wrong one', async () => {
    expect((await verifyEvidence({ dir, publicKey: null })).verdict).toBe('cannot_verify');
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(await verifyEvidence({ dir, publicKey: other })).toMatchObject({ verdict: 'cannot_verify' });
    expect((await verifyEvidence({ dir: join(root, 'nope'), publicKey })).verdict).toBe('cannot_verify');
  });
});

describe('mailwarden evidence verify', () => {
  it('exits 0 on an intact log, with a human summary', async () => {
    const { out, io } = capture();
    expect(await evidenceVerifyCommand(['evidence', 'verify'], io, paths())).toBe(0);
    expect(out.stdout).toContain('evidence: INTACT: 8 records (seq 0–7)');
    expect(out.stdout).toContain('approvals re-verified: 1');
  });

  it('prints JSON with --json', async () => {
    const { out, io } = capture();
    expect(await evidenceVerifyCommand(['--json'], io, paths())).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ verdict: 'intact', records: 8 });
  });

  it('exits 1 on a tampered log and names file, line and reason', async () => {
    const { out, io } = capture();
    const code = await withSegment(remove(1), () => evidenceVerifyCommand(['--json'], io, paths()));
    expect(code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({
      verdict: 'tampered',
      firstBad: { file: seg, line: 2, seq: 2, reason: 'sequence_gap' },
    });
    const human = capture();
    await withSegment(remove(1), () => evidenceVerifyCommand([], human.io, paths()));
    expect(human.out.stdout).toContain(`TAMPERED: sequence_gap at ${seg} line 2 (seq 2)`);
  });

  it('exits 2 when it cannot verify or on bad usage', async () => {
    const a = capture();
    expect(await evidenceVerifyCommand([], a.io, { dir, publicKeyPath: null })).toBe(2);
    expect(a.out.stdout).toContain('CANNOT VERIFY');
    const b = capture();
    expect(await evidenceVerifyCommand([], b.io, { dir, publicKeyPath: join(root, 'missing.pub') })).toBe(2);
    expect(b.out.stdout).toContain('missing.pub');
    const c = capture();
    expect(await evidenceVerifyCommand(['--frobnicate'], c.io, paths())).toBe(2);
    expect(c.out.stderr).toContain('usage: mailwarden evidence verify');
    expect(await evidenceVerifyCommand(['--proposal'], capture().io, paths())).toBe(2);
  });

  it('shows one proposal trail with inclusion proofs against the latest signed checkpoint', async () => {
    const { out, io } = capture();
    expect(await evidenceVerifyCommand(['--json', '--proposal', 'p_1'], io, paths())).toBe(0);
    const report = JSON.parse(out.stdout) as {
      proposal: { records: { seq: number; type: string; inclusion: string }[] };
    };
    expect(report.proposal.records.map((r) => [r.seq, r.type, r.inclusion])).toEqual([
      [1, 'proposal_submitted', 'proven'],
      [2, 'decision', 'proven'],
      [4, 'approval_accepted', 'proven'],
      [5, 'execution_started', 'proven'],
      [6, 'execution_finished', 'proven'],
    ]);
    const human = capture();
    await evidenceVerifyCommand(['--proposal=p_2'], human.io, paths());
    expect(human.out.stdout).toContain('proposal p_2: 2 record(s)');
    expect(human.out.stdout).toContain('seq 7');
  });
});

describe('holding the log against exported checkpoints', () => {
  it('catches records cut from the end together with their local checkpoints', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const cutDir = join(root, 'cut');
    const exported = join(root, 'exported');
    const { createDirectorySink } = await import('../sidecar/evidence/index.ts');
    const log = await openEvidenceLog({
      dir: cutDir,
      signingKey: createPrivateKey(keys.privateKeyPem),
      blindingKey: Buffer.alloc(32, 9),
      origin: 'mailwarden/verify',
      checkpointEvery: { records: 3, seconds: 0 },
      sink: createDirectorySink(exported),
    });
    for (let i = 0; i < 7; i++) await log.append({ type: 'decision', data: { i } });
    await log.close();
    // An intruder drops the last two records and every local checkpoint that covers them.
    const file = join(cutDir, seg);
    const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
    await writeFile(
      file,
      lines
        .slice(0, 5)
        .map((l) => `${l}\n`)
        .join(''),
    );
    await rm(join(cutDir, 'checkpoints', 'checkpoint-0000000000000006.note'));
    await rm(join(cutDir, 'checkpoints', 'checkpoint-0000000000000007.note'));
    // The acknowledged-head file still says 7: the host alone sees the cut.
    expect(await verifyEvidence({ dir: cutDir, publicKey })).toMatchObject({
      verdict: 'tampered',
      firstBad: { reason: 'truncation', message: expect.stringContaining('7 records were acknowledged') },
    });
    // An intruder who also removes the head file leaves a log the host alone cannot fault.
    await rm(join(cutDir, 'head'));
    await rm(join(cutDir, 'resume.note'));
    const alone = await verifyEvidence({ dir: cutDir, publicKey });
    expect(alone.verdict).toBe('intact'); // what the host alone can show
    if (alone.verdict === 'intact') expect(alone.warnings.join()).toContain('2 record(s) after the newest checkpoint');
    const held = await verifyEvidence({ dir: cutDir, publicKey, externalCheckpoints: [exported] });
    expect(held).toMatchObject({ verdict: 'tampered', firstBad: { reason: 'truncation' } });
    const { out, io } = capture();
    const code = await evidenceVerifyCommand(['--checkpoints', exported], io, { dir: cutDir, publicKeyPath: pubPath });
    expect(code).toBe(1);
    expect(out.stdout).toContain('TAMPERED: truncation');
  });

  it('shows a progress bar on a terminal only', async () => {
    const tty = capture(true);
    expect(await evidenceVerifyCommand([], tty.io, { ...paths(), progressMinBytes: 1 })).toBe(0);
    expect(tty.out.stderr).toContain('verifying evidence [');
    expect(tty.out.stderr).toContain('100%');
    const pipe = capture(false);
    expect(await evidenceVerifyCommand([], pipe.io, { ...paths(), progressMinBytes: 1 })).toBe(0);
    expect(pipe.out.stderr).toBe('');
  });
});

/** A record rebuilt with a valid hash of its own (what an attacker without the signing key can do). */
function forge(line: string): string {
  const rec = JSON.parse(line) as Record<string, unknown>;
  const { hash: _h, ...rest } = rec;
  const body = { ...rest, data: { forged: true } };
  return canonicalize({ ...body, hash: hashOf(body) });
}

function hashOf(body: Record<string, unknown>): string {
  return createHash('sha256')
    .update(RECORD_DOMAIN + canonicalize(body))
    .digest('hex');
}
