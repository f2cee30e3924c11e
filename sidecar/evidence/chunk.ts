// One piece of a segment verified on its own, in a worker thread: every line exactly as the sequential scan
// checks it (parseRecordLine), the chain inside the piece, and what the main thread needs to join the pieces in
// order: the first record's seq and prev, the last hash, the piece's subtrees of the Merkle tree, and the
// subtrees up to each checkpoint inside the piece. A piece that is anything but intact is refused without a
// reason worth reporting: the sequential scan then reads the log again and names the first bad record.
import { closeSync, openSync, readSync } from 'node:fs';
import { type EvidenceRecord, parseRecordLine } from './format.ts';
import { AlignedRange, type Subtree } from './merkle.ts';

export interface ChunkJob {
  readonly id: number;
  readonly path: string;
  /** The lines that start in [start, end) belong to this piece; the last of them may run past `end`. */
  readonly start: number;
  readonly end: number;
  /** Nothing at or after this byte is read: the segment's size when the scan began. */
  readonly limit: number;
  /** Sizes of signed checkpoints: the piece reports its subtrees at each one it reaches. */
  readonly checkpointSizes: readonly number[];
  /** The acknowledged head: the record at seq size - 1 must have this hash. */
  readonly acked: { readonly size: number; readonly lastHash: string } | null;
  readonly proposalId: string | null;
  /** Hand back every leaf hash (for inclusion proofs of a proposal's trail). */
  readonly wantLeaves: boolean;
}

/** Subtrees as plain data that crosses threads cheaply: their levels, and their hashes end to end. */
export interface PackedSubtrees {
  readonly levels: readonly number[];
  readonly hashes: Uint8Array;
}

export interface PieceRecord {
  readonly record: EvidenceRecord;
  /** 1-based line within the piece. */
  readonly line: number;
}

export interface ChunkOk {
  readonly ok: true;
  readonly id: number;
  /** Byte offsets in the segment: where the first line starts and where the last one ends (after its newline). */
  readonly begin: number;
  readonly finish: number;
  readonly lines: number;
  readonly first: { readonly seq: number; readonly prev: string; readonly ts: string } | null;
  readonly lastHash: string | null;
  readonly subtrees: PackedSubtrees;
  readonly checkpoints: readonly { readonly size: number; readonly subtrees: PackedSubtrees }[];
  readonly approvals: readonly PieceRecord[];
  readonly trail: readonly PieceRecord[];
  readonly leaves: Uint8Array | null;
}

export type ChunkResult = ChunkOk | { readonly ok: false; readonly id: number; readonly why: string };

const NL = 0x0a;
const READ_MORE = 64 * 1024;

function pack(nodes: readonly Subtree[]): PackedSubtrees {
  const hashes = new Uint8Array(nodes.length * 32);
  nodes.forEach((n, i) => {
    hashes.set(n.hash, i * 32);
  });
  return { levels: nodes.map((n) => n.level), hashes };
}

export function unpack(p: PackedSubtrees): Subtree[] {
  return p.levels.map((level, i) => ({
    level,
    hash: Buffer.from(p.hashes.buffer, p.hashes.byteOffset + i * 32, 32),
  }));
}

/** One buffer per thread, reused from piece to piece: a fresh one costs a page fault every 4 KiB it is filled. */
let scratch = Buffer.alloc(0);

function room(size: number, keep: number): void {
  if (scratch.length >= size) return;
  const bigger = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  scratch.copy(bigger, 0, 0, keep);
  scratch = bigger;
}

/**
 * The piece's bytes: from the byte before `start` (is `start` a line start?) to the end of its last line.
 * They stay valid only until the next call in the same thread.
 */
export function readChunk(job: ChunkJob): { bytes: Buffer; at: number } {
  const at = Math.max(0, job.start - 1);
  const fd = openSync(job.path, 'r');
  try {
    const first = Math.max(0, Math.min(job.end, job.limit) - at);
    room(first + READ_MORE, 0);
    let got = fill(fd, at, 0, first);
    // The last line that starts before `end` ends at the first newline from `end - 1` on.
    while (got > 0 && scratch[got - 1] !== NL && at + got < job.limit) {
      const want = Math.min(READ_MORE, job.limit - at - got);
      room(got + want, got);
      const n = fill(fd, at + got, got, want);
      if (n === 0) break;
      const nl = scratch.subarray(got, got + n).indexOf(NL);
      got += nl < 0 ? n : nl + 1;
      if (nl >= 0) break;
    }
    return { bytes: scratch.subarray(0, got), at };
  } finally {
    closeSync(fd);
  }
}

/** Read `length` bytes of the file at `position` into the scratch buffer at `offset`; how many there were. */
function fill(fd: number, position: number, offset: number, length: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, scratch, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Verify the lines of `job` in `bytes`, which start at byte `at` of the segment (see readChunk). */
export function checkChunk(bytes: Buffer, at: number, job: ChunkJob): ChunkResult {
  const refuse = (why: string): ChunkResult => ({ ok: false, id: job.id, why });
  const empty = (): ChunkResult => ({
    ok: true,
    id: job.id,
    begin: job.end,
    finish: job.end,
    lines: 0,
    first: null,
    lastHash: null,
    subtrees: pack([]),
    checkpoints: [],
    approvals: [],
    trail: [],
    leaves: job.wantLeaves ? new Uint8Array(0) : null,
  });
  // The first line that starts at or after `start` (a line starts after a newline, or at byte 0).
  let from = job.start - at;
  if (job.start > 0 && bytes[from - 1] !== NL) {
    const nl = bytes.indexOf(NL, from);
    if (nl < 0 || at + nl + 1 >= job.end) return empty();
    from = nl + 1;
  }
  if (at + from >= job.end) return empty();
  const lastNl = bytes.indexOf(NL, job.end - 1 - at);
  if (lastNl < 0) return refuse('the last line has no terminating newline');
  const text = bytes.toString('utf8', from, lastNl + 1);

  const sizes = new Set(job.checkpointSizes);
  const approvals: PieceRecord[] = [];
  const trail: PieceRecord[] = [];
  const checkpoints: { size: number; subtrees: PackedSubtrees }[] = [];
  let range: AlignedRange | null = null;
  let first: { seq: number; prev: string; ts: string } | null = null;
  let lastHash = '';
  let lines = 0;
  const hashes: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const parsed = parseRecordLine(text.slice(start, nl));
    if (!parsed.ok) return refuse(parsed.message);
    const r = parsed.record;
    if (first === null) {
      first = { seq: r.seq, prev: r.prev, ts: r.ts };
      range = new AlignedRange(r.seq);
    } else {
      if (r.seq !== first.seq + lines) return refuse(`expected seq ${first.seq + lines}, found ${r.seq}`);
      if (r.prev !== lastHash) return refuse('the record does not link to the one before it');
    }
    range!.append(r.hash);
    if (job.wantLeaves) hashes.push(r.hash);
    lastHash = r.hash;
    lines++;
    if (job.acked && r.seq + 1 === job.acked.size && r.hash !== job.acked.lastHash) {
      return refuse('the record differs from the one acknowledged at this seq');
    }
    if (r.type === 'approval_accepted') approvals.push({ record: r, line: lines });
    if (job.proposalId !== null && r.proposalId === job.proposalId) trail.push({ record: r, line: lines });
    if (sizes.has(r.seq + 1)) checkpoints.push({ size: r.seq + 1, subtrees: pack(range!.nodes()) });
    start = nl + 1;
  }
  let leaves: Uint8Array | null = null;
  if (job.wantLeaves) {
    const out = Buffer.alloc(hashes.length * 32);
    hashes.forEach((h, i) => {
      out.write(h, i * 32, 'hex');
    });
    leaves = new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  return {
    ok: true,
    id: job.id,
    begin: at + from,
    finish: at + lastNl + 1,
    lines,
    first,
    lastHash,
    subtrees: pack(range!.nodes()),
    checkpoints,
    approvals,
    trail,
    leaves,
  };
}
