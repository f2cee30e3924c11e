// The full scan's segments, read and checked by worker threads in pieces while this thread joins them in
// order: every piece must start where the one before it ended, with the next seq and a `prev` that links to the
// last hash, and the tree joined so far must match every signed checkpoint. Only an intact log is accepted here;
// at the first sign of anything else the caller runs the sequential scan, which names the first bad record.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkJob, ChunkOk, ChunkResult } from './chunk.ts';
import { unpack } from './chunk.ts';
import type { EvidenceReader } from './layout.ts';
import type { CompactRange } from './merkle.ts';
import type { Checkpoint } from './note.ts';
import type { LocatedRecord } from './scan.ts';

export interface ParallelScanOptions {
  /** Worker threads; fewer than 2 means no parallel scan. */
  readonly workers: number;
  /** Bytes per piece handed to a worker. */
  readonly chunkBytes: number;
  /** Logs smaller than this are scanned in this thread (starting workers costs more than they save). */
  readonly minBytes: number;
}

export const DEFAULT_PARALLEL: ParallelScanOptions = {
  workers: Math.min(4, availableParallelism()),
  chunkBytes: 4 * 1024 * 1024,
  minBytes: 8 * 1024 * 1024,
};

export interface ParallelScanStart {
  readonly dir: string;
  readonly reader: EvidenceReader;
  readonly segments: readonly { readonly name: string; readonly firstSeq: number }[];
  /** Sizes of every checkpoint on hand (from their names; only those that verify are held against the tree). */
  readonly checkpointSizes: readonly number[];
  readonly acked: { readonly size: number; readonly lastHash: string } | null;
  readonly proposalId: string | undefined;
  readonly options: ParallelScanOptions;
}

/** What joining the pieces needs, known once the notes are verified. */
export interface ParallelScanJoin {
  /** The tree, chain head and next seq before the first segment; left untouched. */
  readonly range: CompactRange;
  readonly lastHash: string;
  readonly nextSeq: number;
  /** The verified checkpoints to hold the log against, by size, and the first one not yet reached. */
  readonly checkpoints: readonly Checkpoint[];
  readonly nextCheckpoint: number;
  readonly onProgress: ((done: number, total: number) => void) | undefined;
  /** Total for progress, as the sequential scan reports it. */
  readonly progressTotal: number;
}

export interface ParallelScan {
  /** The scan of every segment, or null when it must be left to the sequential scan. */
  join(state: ParallelScanJoin): Promise<ParallelScanOutcome | null>;
}

export interface ParallelScanOutcome {
  readonly range: CompactRange;
  readonly lastHash: string;
  readonly nextSeq: number;
  readonly approvals: LocatedRecord[];
  readonly trail: LocatedRecord[];
  readonly leaves: Buffer[] | null;
  readonly lastSegmentBytes: number;
  readonly lastSegmentLines: number;
  readonly lastSegmentFirstTs: string | null;
}

/**
 * Hands the first pieces to the workers at once, so that they read while the caller verifies the notes; null
 * when the log is too small, or workers cannot run.
 */
export async function startParallelScan(input: ParallelScanStart): Promise<ParallelScan | null> {
  const { options } = input;
  if (options.workers < 2 || !input.reader.size) return null;
  const sizes: number[] = [];
  try {
    for (const s of input.segments) sizes.push(await input.reader.size(join(input.dir, s.name)));
  } catch {
    return null; // the sequential scan reports what cannot be read
  }
  if (sizes.reduce((a, b) => a + b, 0) < options.minBytes) return null;
  const workers = pool(options.workers);
  if (!workers) return null;

  const checkpointSizes = [...new Set(input.checkpointSizes)];
  const jobs: { job: ChunkJob; segment: number }[] = [];
  input.segments.forEach((s, segment) => {
    const size = sizes[segment]!;
    for (let start = 0; start < size; start += options.chunkBytes) {
      const job: ChunkJob = {
        id: jobIds++,
        path: join(input.dir, s.name),
        start,
        end: Math.min(size, start + options.chunkBytes),
        limit: size,
        checkpointSizes,
        acked: input.acked,
        proposalId: input.proposalId ?? null,
        wantLeaves: input.proposalId !== undefined,
      };
      jobs.push({ job, segment });
    }
  });
  // Each worker has a few pieces queued behind the one it works on; results are taken in order.
  const window = options.workers * 4;
  const results = new Map<number, Promise<ChunkResult>>();
  let sent = 0;
  let taken = 0;
  const send = () => {
    while (sent < jobs.length && sent < taken + window) {
      results.set(sent, workers.run(jobs[sent]!.job));
      sent++;
    }
  };
  const take = async (): Promise<ChunkResult> => {
    send();
    const result = await results.get(taken)!;
    results.delete(taken);
    taken++;
    return result;
  };
  send();
  return { join: (state) => joinPieces(input, state, sizes, jobs, take) };
}

async function joinPieces(
  input: ParallelScanStart,
  state: ParallelScanJoin,
  sizes: readonly number[],
  jobs: readonly { segment: number }[],
  take: () => Promise<ChunkResult>,
): Promise<ParallelScanOutcome | null> {
  let taken = 0;
  const range = state.range.clone();
  let lastHash = state.lastHash;
  let nextSeq = state.nextSeq;
  let nextCheckpoint = state.nextCheckpoint;
  const approvals: LocatedRecord[] = [];
  const trail: LocatedRecord[] = [];
  const leaves: Buffer[] | null = input.proposalId === undefined ? null : [];
  let doneBytes = 0;
  let lastSegmentLines = 0;
  let lastSegmentFirstTs: string | null = null;
  for (let si = 0; si < input.segments.length; si++) {
    const seg = input.segments[si]!;
    if (seg.firstSeq !== nextSeq) return null;
    let lines = 0;
    let at = 0;
    let firstTs: string | null = null;
    while (taken < jobs.length && jobs[taken]!.segment === si) {
      const r = await take();
      taken++;
      if (!r.ok) return null;
      if (r.lines === 0) continue;
      if (!joins(r, at, nextSeq, lastHash)) return null;
      // Checkpoints inside the piece: the tree joined so far plus the piece's subtrees up to there.
      const end = nextSeq + r.lines;
      let pieceCheckpoint = 0;
      while (nextCheckpoint < state.checkpoints.length && state.checkpoints[nextCheckpoint]!.size <= end) {
        // Several checkpoints (local and exported) may share a size; they were compared with each other before.
        while (state.checkpoints[nextCheckpoint + 1]?.size === state.checkpoints[nextCheckpoint]!.size) {
          nextCheckpoint++;
        }
        const cp = state.checkpoints[nextCheckpoint]!;
        nextCheckpoint++;
        while (r.checkpoints[pieceCheckpoint] && r.checkpoints[pieceCheckpoint]!.size < cp.size) pieceCheckpoint++;
        const snap = r.checkpoints[pieceCheckpoint];
        if (!snap || snap.size !== cp.size) return null;
        const tree = range.clone();
        for (const n of unpack(snap.subtrees)) tree.appendSubtree(n.level, n.hash);
        if (!tree.root().equals(cp.root)) return null;
      }
      for (const n of unpack(r.subtrees)) range.appendSubtree(n.level, n.hash);
      for (const a of r.approvals) approvals.push({ record: a.record, file: seg.name, line: lines + a.line });
      for (const t of r.trail) trail.push({ record: t.record, file: seg.name, line: lines + t.line });
      if (leaves && r.leaves) {
        for (let i = 0; i < r.lines; i++) leaves.push(Buffer.from(r.leaves.buffer, r.leaves.byteOffset + i * 32, 32));
      }
      firstTs ??= r.first!.ts;
      lastHash = r.lastHash!;
      nextSeq = end;
      lines += r.lines;
      at = r.finish;
      state.onProgress?.(doneBytes + at, state.progressTotal);
    }
    // Every byte of the segment belongs to a complete line.
    if (at !== sizes[si]) return null;
    doneBytes += sizes[si]!;
    state.onProgress?.(doneBytes, state.progressTotal);
    lastSegmentLines = lines;
    lastSegmentFirstTs = firstTs;
  }
  return {
    range,
    lastHash,
    nextSeq,
    approvals,
    trail,
    leaves,
    lastSegmentBytes: sizes.at(-1) ?? 0,
    lastSegmentLines,
    lastSegmentFirstTs,
  };
}

/** A piece joins the ones before it: it starts where they ended, with the next seq, linked to the last hash. */
function joins(r: ChunkOk, at: number, nextSeq: number, lastHash: string): boolean {
  return r.begin === at && r.first!.seq === nextSeq && r.first!.prev === lastHash;
}

let jobIds = 0;

interface Pool {
  /** Never rejects: a worker that fails answers with a refusal. */
  run(job: ChunkJob): Promise<ChunkResult>;
}

let shared: { size: number; pool: Pool | null } | null = null;

/** Workers are started once per process and kept (unreferenced while idle) for the next scan. */
function pool(size: number): Pool | null {
  if (shared && shared.size === size) return shared.pool;
  const workers: { worker: Worker; waiting: Map<number, (r: ChunkResult) => void> }[] = [];
  let broken = false;
  const fail = (why: string) => {
    broken = true;
    if (shared?.pool === created) shared = null;
    for (const w of workers) {
      for (const [id, resolve] of w.waiting) resolve({ ok: false, id, why });
      w.waiting.clear();
      void w.worker.terminate();
    }
  };
  const created: Pool = {
    run(job) {
      if (broken) return Promise.resolve({ ok: false, id: job.id, why: 'the verification workers failed' });
      const w = workers.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
      return new Promise((resolve) => {
        if (w.waiting.size === 0) w.worker.ref();
        w.waiting.set(job.id, resolve);
        w.worker.postMessage(job);
      });
    },
  };
  try {
    for (let i = 0; i < size; i++) {
      const worker = startWorker();
      const entry = { worker, waiting: new Map<number, (r: ChunkResult) => void>() };
      worker.unref();
      worker.on('message', (r: ChunkResult) => {
        const resolve = entry.waiting.get(r.id);
        entry.waiting.delete(r.id);
        if (entry.waiting.size === 0) worker.unref();
        resolve?.(r);
      });
      worker.on('error', (err) => fail(`a verification worker failed: ${err.message}`));
      worker.on('exit', () => fail('a verification worker exited'));
      workers.push(entry);
    }
  } catch {
    for (const w of workers) void w.worker.terminate();
    shared = { size, pool: null };
    return null;
  }
  shared = { size, pool: created };
  return created;
}

/**
 * The bundled CLI ships the worker as dist/cli/verify-worker.mjs beside itself; from the sources (tsx, the test
 * runner) the worker registers tsx's loader and imports verify-worker.ts.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./verify-worker.mjs', here));
  const worker = new URL('./verify-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsxLoader())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`;
  return new Worker(boot, { eval: true });
}

/** tsx's ESM register API, found from this module as its package exports name it. */
function tsxLoader(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return pathToFileURL(join(dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
}
