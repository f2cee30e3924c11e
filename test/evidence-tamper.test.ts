// Property tests: any byte flip, line insertion, deletion, reorder or truncation inside a signed range is caught.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../shared/canonical-json.ts';
import { type EvidenceReader, openEvidenceLog, RECORD_DOMAIN, verifyEvidence } from '../sidecar/evidence/index.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
let root: string;
let dir: string;
/** Every file of the pristine log, by path relative to the log dir. */
const pristine = new Map<string, Buffer>();
let segments: string[] = [];
let notes: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mw-tamper-'));
  dir = join(root, 'log');
  const log = await openEvidenceLog({
    dir,
    signingKey: privateKey,
    blindingKey: Buffer.alloc(32, 1),
    origin: 'mailwarden/tamper',
    checkpointEvery: { records: 20, seconds: 0 },
    rotate: { maxBytes: 2500 },
  });
  for (let i = 0; i < 70; i++) {
    await log.append({ type: i % 5 === 0 ? 'proposal_submitted' : 'decision', proposalId: `p_${i % 4}`, data: { i } });
  }
  await log.prune(4); // so that the anchor is part of what must stay intact
  await log.close(); // the final checkpoint covers every record: all of the log is a signed range
  segments = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  notes = ['anchor.note', ...(await readdir(join(dir, 'checkpoints'))).map((n) => join('checkpoints', n))];
  for (const f of [...segments, ...notes]) pristine.set(f, await readFile(join(dir, f)));
  expect(segments.length).toBe(4);
  expect((await verifyEvidence({ dir, publicKey })).verdict).toBe('intact');
  // The in-memory copy reads exactly like the directory.
  expect((await verifyEvidence({ dir, publicKey, reader: readerWith(new Map()) })).verdict).toBe('intact');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The log as it is on disk, with one file replaced: verification reads this copy in memory. */
function readerWith(changes: ReadonlyMap<string, Buffer>): EvidenceReader {
  const files = new Map([...pristine, ...changes]);
  return {
    readdir: async (path) => {
      const prefix = path === dir ? '' : `${path.slice(dir.length + 1)}/`;
      const names = [...files.keys()].filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
      return [...new Set(names.map((n) => n.split('/')[0]!))];
    },
    readFile: async (path) => {
      const f = files.get(path.slice(dir.length + 1));
      if (!f) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return f;
    },
  };
}

async function verdictWith(file: string, bytes: Buffer, also: [string, Buffer][] = []): Promise<string> {
  const reader = readerWith(new Map([[file, bytes], ...also]));
  return (await verifyEvidence({ dir, publicKey, reader })).verdict;
}

const splitLines = (b: Buffer) => b.toString('utf8').split('\n').slice(0, -1);
const joinLines = (ls: string[]) => Buffer.from(ls.map((l) => `${l}\n`).join(''));

describe('tamper detection inside a checkpointed range', () => {
  it('catches any single byte flip in any segment, checkpoint or the anchor', async () => {
    const files = [...segments, ...notes];
    await fc.assert(
      fc.asyncProperty(fc.nat(files.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), async (fi, off, x) => {
        const file = files[fi]!;
        const copy = Buffer.from(pristine.get(file)!);
        const at = off % copy.length;
        copy[at] = copy[at]! ^ x;
        expect(await verdictWith(file, copy)).toBe('tampered');
      }),
      { numRuns: 2000 },
    );
  });

  it('catches any inserted line: a copy of another record, garbage, or a well-formed re-hashed forgery', async () => {
    const all = segments.flatMap((s) => splitLines(pristine.get(s)!));
    const forged = (seq: number, prev: string) => {
      const body = { v: 1, seq, ts: '2026-01-01T00:00:00.000Z', type: 'decision', data: { forged: true }, prev };
      const hash = createHash('sha256')
        .update(RECORD_DOMAIN + canonicalize(body))
        .digest('hex');
      return canonicalize({ ...body, hash });
    };
    const candidate = fc.oneof(
      fc.nat(all.length - 1).map((i) => all[i]!),
      fc.string({ minLength: 0, maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
      fc.tuple(fc.nat(80), fc.nat(all.length - 1)).map(([seq, i]) => forged(seq, JSON.parse(all[i]!).hash)),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(segments.length - 1), fc.nat(), candidate, async (si, pos, line) => {
        const seg = segments[si]!;
        const ls = splitLines(pristine.get(seg)!);
        ls.splice(pos % (ls.length + 1), 0, line);
        expect(await verdictWith(seg, joinLines(ls))).toBe('tampered');
      }),
      { numRuns: 400 },
    );
  });

  it('catches any deleted line and any swap of two lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(segments.length - 1), fc.nat(), fc.nat(), fc.boolean(), async (si, a, b, swap) => {
        const seg = segments[si]!;
        const ls = splitLines(pristine.get(seg)!);
        const i = a % ls.length;
        if (swap) {
          const j = b % ls.length;
          fc.pre(i !== j);
          [ls[i], ls[j]] = [ls[j]!, ls[i]!];
        } else ls.splice(i, 1);
        expect(await verdictWith(seg, joinLines(ls))).toBe('tampered');
      }),
      { numRuns: 600 },
    );
  });

  it('catches a line moved to another segment', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(segments.length - 2), fc.nat(), async (si, a) => {
        const from = splitLines(pristine.get(segments[si]!)!);
        const to = splitLines(pristine.get(segments[si + 1]!)!);
        const [moved] = from.splice(a % from.length, 1);
        to.unshift(moved!);
        const changed: [string, Buffer][] = [[segments[si]!, joinLines(from)]];
        expect(await verdictWith(segments[si + 1]!, joinLines(to), changed)).toBe('tampered');
      }),
      { numRuns: 100 },
    );
  });

  it('catches truncation of any segment at any byte offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(segments.length - 1), fc.nat(), async (si, off) => {
        const seg = segments[si]!;
        const bytes = pristine.get(seg)!;
        expect(await verdictWith(seg, bytes.subarray(0, off % bytes.length))).toBe('tampered');
      }),
      { numRuns: 600 },
    );
  });

  it('start-up trusts the signed range and refuses any byte flip in the records after it', async () => {
    // A crash state: 23 records, signed up to 20 (with its resume point), 3 chained but not yet signed.
    const crash = join(root, 'crash');
    const live = await openEvidenceLog({
      dir: join(root, 'live'),
      signingKey: privateKey,
      blindingKey: Buffer.alloc(32),
      origin: 'mailwarden/tamper',
      checkpointEvery: { records: 20, seconds: 0 },
    });
    for (let i = 0; i < 23; i++) await live.append({ type: 'decision', data: { i } });
    await cp(join(root, 'live'), crash, { recursive: true });
    await live.close();
    await rm(join(crash, '.lock'));
    const seg = 'evidence-0000000000000000.jsonl';
    const clean = await readFile(join(crash, seg));
    const tailStart = clean.lastIndexOf(10, clean.indexOf('"seq":20,')) + 1;
    expect(tailStart).toBeGreaterThan(0);
    const open = () =>
      openEvidenceLog({
        dir: crash,
        signingKey: privateKey,
        blindingKey: Buffer.alloc(32),
        origin: 'mailwarden/tamper',
      });
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (off, x) => {
        const copy = Buffer.from(clean);
        const at = tailStart + (off % (copy.length - tailStart));
        copy[at] = copy[at]! ^ x;
        await writeFile(join(crash, seg), copy);
        try {
          await expect(open()).rejects.toMatchObject({
            code: 'EVIDENCE_TAMPERED',
            message: expect.stringContaining(seg),
          });
        } finally {
          await writeFile(join(crash, seg), clean);
        }
      }),
      { numRuns: 100 },
    );
    // Inside the signed range start-up does not look again; `evidence verify` does, and names the line.
    const copy = Buffer.from(clean);
    copy[10] = copy[10]! ^ 1;
    await writeFile(join(crash, seg), copy);
    const log = await open();
    await log.close();
    expect(await verifyEvidence({ dir: crash, publicKey })).toMatchObject({
      verdict: 'tampered',
      firstBad: { file: seg, line: 1 },
    });
  });
});
