// The full scan in worker threads says exactly what the sequential scan says: the same report for an intact log
// (records, approvals, proposal trails with their proofs, progress), and the same first bad record for any
// tampering, wherever the pieces are cut.
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvidenceLog } from './open.ts';
import { scanLog } from './scan.ts';
import { verifyEvidence } from './verify.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
let root: string;
let dir: string;
let exported: string;
let segments: string[] = [];
const pristine = new Map<string, Buffer>();

/** Pieces small enough that every segment is cut many times, at every kind of place. */
const parallel = (chunkBytes: number) => ({ workers: 2, chunkBytes, minBytes: 0 });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mw-parallel-'));
  dir = join(root, 'log');
  exported = join(root, 'exported');
  const { createDirectorySink } = await import('./sinks.ts');
  const log = await openEvidenceLog({
    dir,
    signingKey: privateKey,
    blindingKey: Buffer.alloc(32, 3),
    origin: 'mailwarden/parallel',
    checkpointEvery: { records: 7, seconds: 0 },
    rotate: { maxBytes: 3000 },
    sink: createDirectorySink(exported),
  });
  for (let i = 0; i < 90; i++) {
    const type = i % 11 === 3 ? 'approval_accepted' : i % 5 === 0 ? 'proposal_submitted' : 'decision';
    // Some records carry text outside ASCII, so byte offsets and string offsets differ.
    await log.append({ type, proposalId: `p_${i % 4}`, data: { i, note: i % 3 === 0 ? 'grüße ✓ 𝄞' : 'x' } });
  }
  await log.prune(5);
  for (let i = 0; i < 5; i++) await log.append({ type: 'decision', data: { after: i } });
  await log.close();
  segments = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  for (const f of segments) pristine.set(f, await readFile(join(dir, f)));
  expect(segments.length).toBeGreaterThanOrEqual(4);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('evidence scan in worker threads', () => {
  it('is used for an intact log and agrees with the sequential scan field by field', async () => {
    const sequential = await scanLog({ dir, publicKey, proposalId: 'p_1', externalCheckpoints: [exported] });
    expect(sequential.inParallel).toBe(false);
    expect(sequential.firstBad).toBeNull();
    for (const chunkBytes of [1, 2, 3, 64, 333, 1000, 1_000_000]) {
      const progress: [number, number][] = [];
      const sizes = new Map<string, number>();
      for (const s of segments) sizes.set(s, pristine.get(s)!.length);
      const inParallel = await scanLog({
        dir,
        publicKey,
        proposalId: 'p_1',
        externalCheckpoints: [exported],
        parallel: parallel(chunkBytes),
        sizes,
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(inParallel.inParallel).toBe(true);
      expect({ ...inParallel, inParallel: false }).toEqual(sequential);
      const total = [...sizes.values()].reduce((a, b) => a + b, 0);
      expect(progress.at(-1)).toEqual([total, total]);
      expect(progress.every(([d], i) => i === 0 || d >= progress[i - 1]![0])).toBe(true);
    }
  });

  it('reads lines far longer than a piece', async () => {
    const long = join(root, 'long');
    const log = await openEvidenceLog({
      dir: long,
      signingKey: privateKey,
      blindingKey: Buffer.alloc(32, 3),
      origin: 'mailwarden/parallel',
      checkpointEvery: { records: 2, seconds: 0 },
    });
    for (let i = 0; i < 5; i++) await log.append({ type: 'decision', data: { i, text: 'é'.repeat(100_000 * i) } });
    await log.close();
    const sequential = await scanLog({ dir: long, publicKey });
    for (const chunkBytes of [1000, 70_000, 300_000]) {
      const inParallel = await scanLog({ dir: long, publicKey, parallel: parallel(chunkBytes) });
      expect(inParallel.inParallel).toBe(true);
      expect({ ...inParallel, inParallel: false }).toEqual(sequential);
    }
  });

  it('gives the same report, proposal trail and inclusion proofs as the sequential verifier', async () => {
    for (const proposalId of [undefined, 'p_2']) {
      const one = await verifyEvidence({ dir, publicKey, parallel: false, ...(proposalId ? { proposalId } : {}) });
      const two = await verifyEvidence({
        dir,
        publicKey,
        parallel: parallel(500),
        ...(proposalId ? { proposalId } : {}),
      });
      expect(one.verdict).toBe('intact');
      expect(two).toEqual(one);
    }
  });

  it('names the same first bad record as the sequential scan for any change to the segments', async () => {
    const copy = join(root, 'copy');
    await rm(copy, { recursive: true, force: true });
    await cp(dir, copy, { recursive: true });
    const lines = (b: Buffer) => b.toString('utf8').split('\n').slice(0, -1);
    const joined = (ls: string[]) => Buffer.from(ls.map((l) => `${l}\n`).join(''));
    const mutation = fc.oneof(
      // a byte flipped anywhere
      fc.tuple(fc.constant('flip' as const), fc.nat(), fc.integer({ min: 1, max: 255 })),
      // a line deleted, duplicated or swapped with the next
      fc.tuple(fc.constantFrom('delete' as const, 'duplicate' as const, 'swap' as const), fc.nat(), fc.nat()),
      // cut at any byte
      fc.tuple(fc.constant('cut' as const), fc.nat(), fc.nat()),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(segments.length - 1),
        mutation,
        fc.integer({ min: 1, max: 900 }),
        async (si, [kind, a, b], chunk) => {
          const seg = segments[si]!;
          const bytes = pristine.get(seg)!;
          fc.pre(bytes.length > 0);
          let changed: Buffer;
          if (kind === 'flip') {
            changed = Buffer.from(bytes);
            changed[a % bytes.length] = changed[a % bytes.length]! ^ b;
          } else if (kind === 'cut') {
            changed = bytes.subarray(0, a % bytes.length);
          } else {
            const ls = lines(bytes);
            const i = a % ls.length;
            if (kind === 'delete') ls.splice(i, 1);
            else if (kind === 'duplicate') ls.splice(i, 0, ls[i]!);
            else {
              fc.pre(i + 1 < ls.length);
              [ls[i], ls[i + 1]] = [ls[i + 1]!, ls[i]!];
            }
            changed = joined(ls);
          }
          await writeFile(join(copy, seg), changed);
          try {
            const one = await verifyEvidence({ dir: copy, publicKey, parallel: false });
            const two = await verifyEvidence({ dir: copy, publicKey, parallel: parallel(chunk) });
            expect(one.verdict).not.toBe('intact');
            expect(two).toEqual(one);
          } finally {
            await writeFile(join(copy, seg), bytes);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the same problem as the sequential scan for any change to a signed note, found while workers read', async () => {
    const copy = join(root, 'notes');
    await rm(copy, { recursive: true, force: true });
    await cp(dir, copy, { recursive: true });
    const notes = ['anchor.note', ...(await readdir(join(copy, 'checkpoints'))).map((n) => join('checkpoints', n))];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...notes), fc.nat(), fc.integer({ min: 1, max: 255 }), async (note, a, x) => {
        const bytes = await readFile(join(dir, note));
        const changed = Buffer.from(bytes);
        changed[a % bytes.length] = changed[a % bytes.length]! ^ x;
        await writeFile(join(copy, note), changed);
        try {
          const one = await verifyEvidence({ dir: copy, publicKey, parallel: false });
          const two = await verifyEvidence({ dir: copy, publicKey, parallel: parallel(400) });
          expect(one.verdict).not.toBe('intact');
          expect(two).toEqual(one);
        } finally {
          await writeFile(join(copy, note), bytes);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('holds every piece against the acknowledged head and the exported checkpoints', async () => {
    const copy = join(root, 'cut');
    await rm(copy, { recursive: true, force: true });
    await cp(dir, copy, { recursive: true });
    // The last record removed, and with it the newest local checkpoint: the head file and the exports know.
    const last = segments.filter((s) => pristine.get(s)!.length > 0).at(-1)!;
    const ls = pristine.get(last)!.toString('utf8').split('\n').slice(0, -1);
    await writeFile(
      join(copy, last),
      ls
        .slice(0, -1)
        .map((l) => `${l}\n`)
        .join(''),
    );
    const local = (await readdir(join(copy, 'checkpoints'))).sort().at(-1)!;
    await rm(join(copy, 'checkpoints', local));
    await rm(join(copy, 'resume.note'));
    const one = await verifyEvidence({ dir: copy, publicKey, parallel: false, externalCheckpoints: [exported] });
    const two = await verifyEvidence({
      dir: copy,
      publicKey,
      parallel: parallel(200),
      externalCheckpoints: [exported],
    });
    expect(one.verdict).toBe('tampered');
    expect(two).toEqual(one);
  });
});
