// Crash tests: kill -9 during heavy appends, and a torn last record cut at every byte offset, then restart.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvidenceLog, verifyEvidence } from '../sidecar/evidence/index.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const indexUrl = new URL('../sidecar/evidence/index.ts', import.meta.url).href;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mw-crash-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const open = (dir: string) =>
  openEvidenceLog({
    dir,
    signingKey: privateKey,
    blindingKey: Buffer.alloc(32, 3),
    origin: 'mailwarden/crash',
    checkpointEvery: { records: 300, seconds: 0 },
  });

async function records(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const l of (await readFile(join(dir, name), 'utf8')).split('\n').filter(Boolean)) {
      out.push(JSON.parse(l) as Record<string, unknown>);
    }
  }
  return out;
}

/** A child that appends from 8 concurrent writers and prints each seq once its append has resolved. */
const CHILD = `
import { createPrivateKey } from 'node:crypto';
const { openEvidenceLog } = await import(process.env.EVIDENCE_INDEX);
const log = await openEvidenceLog({
  dir: process.env.EVIDENCE_DIR,
  signingKey: createPrivateKey(process.env.EVIDENCE_KEY),
  blindingKey: Buffer.alloc(32, 3),
  origin: 'mailwarden/crash',
  checkpointEvery: { records: 300, seconds: 0 },
  rotate: { maxBytes: 64 * 1024 },
});
let n = 0;
const writer = async (w) => {
  for (;;) {
    const r = await log.append({ type: 'decision', proposalId: 'p_' + w, data: { n: n++, pad: 'x'.repeat(n % 97) } });
    process.stdout.write(r.seq + ' ' + r.hash + '\\n');
  }
};
await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(writer));
`;

async function runAndKill(dir: string, minAcks: number): Promise<Map<number, string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    env: { ...process.env, EVIDENCE_DIR: dir, EVIDENCE_KEY: privatePem, EVIDENCE_INDEX: indexUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acks = new Map<number, string>();
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const p of parts) {
        const [seq, hash] = p.split(' ');
        acks.set(Number(seq), hash!);
      }
      if (acks.size >= minAcks && child.exitCode === null) child.kill('SIGKILL');
    });
  });
  expect(child.signalCode).toBe('SIGKILL');
  return acks;
}

describe('crash recovery', () => {
  it('after kill -9 during heavy appends, every acknowledged record survives and the log verifies', async () => {
    const dir = join(root, 'kill9');
    let total = 0;
    for (const minAcks of [2000, 3500, 1200]) {
      const acks = await runAndKill(dir, minAcks);
      total += acks.size;
      const log = await open(dir); // recovery: must not throw, must not accept anything corrupt
      await log.append({ type: 'sidecar_started' });
      await log.close();
      const recs = await records(dir);
      for (const [seq, hash] of acks) expect(recs[seq]?.['hash'], `acknowledged seq ${seq}`).toBe(hash);
      expect(recs.map((r) => r['seq'])).toEqual(recs.map((_, i) => i));
      expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
    }
    expect(total).toBeGreaterThan(6000);
  }, 60_000);

  it('a record torn at every byte offset: quarantined when unacknowledged, refused when acknowledged', async () => {
    // A log whose last two records are after the last checkpoint, as a crash would leave it: the first of
    // them acknowledged, the second written while the process died (so never acknowledged).
    const template = join(root, 'template');
    const log = await open(template);
    for (let i = 0; i < 5; i++) await log.append({ type: 'decision', data: { i } });
    await log.checkpoint();
    const resume = await readFile(join(template, 'resume.note'));
    const tail1 = await log.append({ type: 'execution_started', proposalId: 'p_torn', data: { step: 1 } });
    const head = await readFile(join(template, 'head'));
    const tail2 = await log.append({ type: 'execution_finished', proposalId: 'p_torn', data: { step: 2 } });
    await log.close().catch(() => undefined);
    // close() sealed the tail with a checkpoint; drop that one to get back the crash state.
    await rm(join(template, 'checkpoints', 'checkpoint-0000000000000007.note'));
    await writeFile(join(template, 'resume.note'), resume);
    await writeFile(join(template, 'head'), head);
    const seg = 'evidence-0000000000000000.jsonl';
    const full = await readFile(join(template, seg));
    const cpFiles = await readdir(join(template, 'checkpoints'));
    const cps = await Promise.all(cpFiles.map((f) => readFile(join(template, 'checkpoints', f))));
    const lastStart = full.lastIndexOf(10, full.length - 2) + 1;
    const prevStart = full.lastIndexOf(10, lastStart - 2) + 1;

    let cases = 0;
    let refused = 0;
    for (let cut = prevStart; cut < full.length; cut++) {
      const dir = join(root, `torn-${cut}`);
      await mkdir(join(dir, 'checkpoints'), { recursive: true, mode: 0o700 });
      for (const [i, f] of cpFiles.entries()) await writeFile(join(dir, 'checkpoints', f), cps[i]!);
      await writeFile(join(dir, 'resume.note'), resume);
      await writeFile(join(dir, 'head'), head);
      await writeFile(join(dir, seg), full.subarray(0, cut));
      cases++;
      if (cut < lastStart) {
        // The cut loses tail1, which was acknowledged: exactly at its line start or inside it, never accepted.
        await expect(open(dir), `cut at ${cut}`).rejects.toMatchObject({
          code: 'EVIDENCE_TAMPERED',
          message: expect.stringContaining('6 records were acknowledged'),
        });
        expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/^quarantine-/));
        expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('tampered');
        await rm(dir, { recursive: true, force: true });
        refused++;
        continue;
      }
      const reopened = await open(dir);
      await reopened.close();
      const names = await readdir(dir);
      const quarantine = names.filter((n) => n.startsWith('quarantine-'));
      const recs = await records(dir);
      if (cut === lastStart) {
        // A cut exactly before the unacknowledged record leaves nothing torn: no quarantine, no recovery record.
        expect(quarantine).toEqual([]);
      } else {
        expect(quarantine).toHaveLength(1);
        const kept = await readFile(join(dir, quarantine[0]!));
        expect(kept.equals(full.subarray(lastStart, cut))).toBe(true);
        const recovered = recs.at(-1)!;
        expect(recovered['type']).toBe('evidence_recovered');
        expect(recovered['data']).toMatchObject({ segment: seg, bytes: kept.length, quarantine: quarantine[0] });
      }
      const hashes = recs.map((r) => r['hash']);
      expect(hashes.includes(tail1.hash)).toBe(true);
      expect(hashes.includes(tail2.hash)).toBe(false);
      expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
      await rm(dir, { recursive: true, force: true });
    }
    expect(cases).toBeGreaterThan(200);
    expect(refused).toBe(lastStart - prevStart);
  }, 60_000);

  it('a log cut exactly at the start of the last acknowledged record is refused at start and by verify', async () => {
    const dir = join(root, 'cut-at-boundary');
    const log = await open(dir);
    for (let i = 0; i < 4; i++) await log.append({ type: 'decision', data: { i } });
    await log.checkpoint();
    const resume = await readFile(join(dir, 'resume.note'));
    await log.append({ type: 'approval_accepted', proposalId: 'p_cut', data: { approver: 'a' } });
    const head = await readFile(join(dir, 'head'));
    await log.close();
    // The state a crash right after the acknowledgement leaves (no closing checkpoint), then the cut.
    await rm(join(dir, 'checkpoints', 'checkpoint-0000000000000005.note'));
    await writeFile(join(dir, 'resume.note'), resume);
    await writeFile(join(dir, 'head'), head);
    const seg = join(dir, 'evidence-0000000000000000.jsonl');
    const full = await readFile(seg);
    await writeFile(seg, full.subarray(0, full.lastIndexOf(10, full.length - 2) + 1));
    await expect(open(dir)).rejects.toMatchObject({
      code: 'EVIDENCE_TAMPERED',
      message: expect.stringMatching(/truncation: 5 records were acknowledged \(head file\) but only 4 are present/),
    });
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/^quarantine-/));
    expect(await verifyEvidence({ dir, publicKey })).toMatchObject({
      verdict: 'tampered',
      firstBad: { reason: 'truncation', seq: 4 },
    });
  });

  it('a torn line before the last checkpoint is not a crash: the log refuses to open', async () => {
    const dir = join(root, 'torn-signed');
    const log = await open(dir);
    for (let i = 0; i < 3; i++) await log.append({ type: 'decision', data: { i } });
    await log.close();
    const seg = join(dir, 'evidence-0000000000000000.jsonl');
    const full = await readFile(seg);
    await writeFile(seg, full.subarray(0, full.length - 10));
    await expect(open(dir)).rejects.toMatchObject({ code: 'EVIDENCE_TAMPERED' });
  });
});
