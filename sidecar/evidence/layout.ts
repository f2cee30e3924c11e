// Where the evidence files live in the log directory, and how their sortable names are built and read back.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The read side of the file system, as the verifier sees it (a copy in memory works as well). */
export interface EvidenceReader {
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  /** Bytes from `start` on (at most `length`); without it the whole file is read and cut. */
  readSlice?(path: string, start: number, length?: number): Promise<Buffer>;
  /** File size in bytes, where cheaper than reading the file. */
  size?(path: string): Promise<number>;
}

export const nodeReader: EvidenceReader = {
  readdir: (p) => readdir(p),
  // In one call: notes are a few hundred bytes and a verification reads thousands of them, where a promise-based
  // read costs about ten times the CPU. A segment is read whole only by a scan in this thread, which has nothing
  // else to do meanwhile (a verification, or a start without a resume point, before anything listens).
  readFile: async (p) => readFileSync(p),
  size: async (p) => (await stat(p)).size,
  async readSlice(path, start, length) {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const n = Math.max(0, Math.min(length ?? Number.POSITIVE_INFINITY, size - start));
      const buf = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const { bytesRead } = await fh.read(buf, off, n - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf.subarray(0, off);
    } finally {
      await fh.close();
    }
  },
};

export async function readSlice(reader: EvidenceReader, path: string, start: number, length?: number): Promise<Buffer> {
  if (reader.readSlice) return reader.readSlice(path, start, length);
  const all = await reader.readFile(path);
  return all.subarray(start, length === undefined ? undefined : start + length);
}

export const CHECKPOINT_DIR = 'checkpoints';
export const ANCHOR_FILE = 'anchor.note';
export const RESUME_FILE = 'resume.note';
const SEGMENT = /^evidence-(\d{16})\.jsonl$/;
const CHECKPOINT = /^checkpoint-(\d{16})\.note$/;
export const TMP_PREFIX = '.tmp-';

const pad = (n: number) => String(n).padStart(16, '0');

export function segmentName(firstSeq: number): string {
  return `evidence-${pad(firstSeq)}.jsonl`;
}

export function checkpointName(size: number): string {
  return `checkpoint-${pad(size)}.note`;
}

export function quarantineName(segment: string, at: Date, offset: number): string {
  // The offset and a random tag keep two recoveries (even under a frozen test clock) from sharing a name.
  const tag = randomBytes(4).toString('hex');
  const time = at.toISOString().replace(/[:.]/g, '-');
  return `quarantine-${time}-${segment.replace(/\.jsonl$/, '')}-${offset}-${tag}.torn`;
}

export interface Listing {
  /** Segment files by first seq, ascending. */
  readonly segments: readonly { name: string; firstSeq: number }[];
  /** Checkpoint files (relative to the log dir) by tree size, ascending. */
  readonly checkpoints: readonly { name: string; size: number }[];
  readonly hasAnchor: boolean;
  readonly hasResume: boolean;
  readonly temporaries: readonly string[];
}

export async function listEvidenceDir(dir: string, reader: EvidenceReader = nodeReader): Promise<Listing> {
  const names = await reader.readdir(dir);
  const segments: { name: string; firstSeq: number }[] = [];
  const temporaries: string[] = [];
  for (const name of names) {
    const m = SEGMENT.exec(name);
    if (m) segments.push({ name, firstSeq: Number(m[1]) });
    else if (name.startsWith(TMP_PREFIX)) temporaries.push(name);
  }
  segments.sort((a, b) => a.firstSeq - b.firstSeq);
  const checkpoints: { name: string; size: number }[] = [];
  let inner: string[] = [];
  try {
    inner = await reader.readdir(join(dir, CHECKPOINT_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of inner) {
    const m = CHECKPOINT.exec(name);
    if (m) checkpoints.push({ name: join(CHECKPOINT_DIR, name), size: Number(m[1]) });
    else if (name.startsWith(TMP_PREFIX)) temporaries.push(join(CHECKPOINT_DIR, name));
  }
  checkpoints.sort((a, b) => a.size - b.size);
  return {
    segments,
    checkpoints,
    hasAnchor: names.includes(ANCHOR_FILE),
    hasResume: names.includes(RESUME_FILE),
    temporaries,
  };
}

/** The `ts` of a segment's first record (the top-level member: the last `"ts":"` of the first line). */
export async function firstRecordTs(reader: EvidenceReader, path: string): Promise<string | null> {
  const head = (await readSlice(reader, path, 0, 64 * 1024)).toString('utf8');
  const nl = head.indexOf('\n');
  const at = head.lastIndexOf('"ts":"', nl < 0 ? head.length : nl);
  if (at < 0) return null;
  const end = head.indexOf('"', at + 6);
  return end < 0 ? null : head.slice(at + 6, end);
}
