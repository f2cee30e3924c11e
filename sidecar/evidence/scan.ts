// One pass over a log directory: checks every record, the chain, the signed checkpoints and the prune anchor.
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { type EvidenceRecord, GENESIS_PREV, parseRecordLine } from './format.ts';
import { type ReadHead, readHead } from './head.ts';
import {
  ANCHOR_FILE,
  type EvidenceReader,
  firstRecordTs,
  type Listing,
  listEvidenceDir,
  nodeReader,
  RESUME_FILE,
  readSlice,
} from './layout.ts';
import { CompactRange, leafHash } from './merkle.ts';
import {
  type Anchor,
  type Checkpoint,
  openNote,
  parseAnchorBody,
  parseCheckpointBody,
  parseResumeBody,
  type Resume,
} from './note.ts';
import { type ParallelScanOptions, startParallelScan } from './parallel-scan.ts';

export type TamperReason =
  | 'hash_mismatch'
  | 'sequence_gap'
  | 'reorder'
  | 'prev_mismatch'
  | 'truncation'
  | 'bad_signature'
  | 'malformed';

export interface BadRecord {
  readonly file: string;
  /** 1-based line in `file`. */
  readonly line: number;
  /** The seq the record claims, or the seq expected at that place when it cannot be read. */
  readonly seq: number | null;
  readonly reason: TamperReason;
  readonly message: string;
}

export interface TornTail {
  readonly segment: string;
  readonly line: number;
  /** Byte offset in the segment where the torn line starts; everything from here on is quarantined. */
  readonly offset: number;
  readonly bytes: number;
}

export interface LocatedRecord {
  readonly record: EvidenceRecord;
  readonly file: string;
  readonly line: number;
}

export interface ScanResult {
  readonly listing: Listing;
  readonly anchor: Anchor | null;
  readonly checkpoints: readonly (Checkpoint & { file: string })[];
  readonly firstBad: BadRecord | null;
  readonly torn: TornTail | null;
  /** Tree over every record read (from the anchor on), and the chain head. */
  readonly range: CompactRange;
  readonly lastHash: string;
  readonly records: number;
  readonly lastSegmentBytes: number;
  readonly lastSegmentFirstTs: string | null;
  readonly lastSegmentLines: number;
  /** The acknowledged head kept beside the segments (`missing` for a log written before it existed). */
  readonly head: ReadHead;
  /** Seq where reading started: the signed resume point when one was trusted, else the first record on disk. */
  readonly startedAt: number;
  readonly approvals: readonly LocatedRecord[];
  readonly trail: readonly LocatedRecord[];
  /** Leaf hashes from the anchor on, kept only when a proposal trail was asked for. */
  readonly leaves: readonly Buffer[] | null;
  readonly skippedSegments: readonly string[];
  /** Notes were found and none of them names the given key: most likely the wrong public key. */
  readonly foreignKey: boolean;
  /** Ed25519 signatures checked: the anchor, the resume point, local and exported notes. */
  readonly signatures: number;
  /** Exported notes of this log held against it, and how many were byte for byte a verified local note. */
  readonly exported: { readonly notes: number; readonly sameAsLocal: number };
  /** The segments were checked by worker threads (an intact log read with `parallel`). */
  readonly inParallel: boolean;
}

export interface ScanOptions {
  readonly dir: string;
  readonly publicKey: KeyObject;
  readonly proposalId?: string;
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Segment sizes, for progress; read lazily otherwise. */
  readonly sizes?: ReadonlyMap<string, number>;
  /** Directories holding exported checkpoints (a directory sink's target) to hold the log against. */
  readonly externalCheckpoints?: readonly string[];
  readonly reader?: EvidenceReader;
  /**
   * Trust the signed resume point of the newest checkpoint and read only the records after it (what a start
   * does); the full scan (what `evidence verify` does) reads everything.
   */
  readonly tailOnly?: boolean;
  /**
   * Let worker threads check the segments in pieces (the full scan of a large log, from the real file system).
   * Only an intact log is accepted that way; anything else is scanned again here, which names what is wrong.
   */
  readonly parallel?: ParallelScanOptions;
}

const SEQ_PEEK = /"seq":(\d+)/;
const CHUNK_BYTES = 64 * 1024 * 1024;

export async function scanLog(opts: ScanOptions): Promise<ScanResult> {
  const reader = opts.reader ?? nodeReader;
  const readText = async (path: string) => (await reader.readFile(path)).toString('utf8');
  const listing = await listEvidenceDir(opts.dir, reader);
  let firstBad: BadRecord | null = null;
  const bad = (b: BadRecord) => {
    firstBad ??= b;
  };

  let notes = 0;
  let foreign = 0;
  let signatures = 0;
  const exportedNotes = { notes: 0, sameAsLocal: 0 };
  const openSigned = (text: string) => {
    signatures++;
    return openNote(text, opts.publicKey);
  };
  const openCounted = (text: string) => {
    const opened = openSigned(text);
    notes++;
    if (!opened.ok && opened.foreignKey) foreign++;
    return opened;
  };
  let anchor: Anchor | null = null;
  if (listing.hasAnchor) {
    const text = await readText(join(opts.dir, ANCHOR_FILE));
    const opened = openCounted(text);
    const parsed = opened.ok ? parseAnchorBody(opened.body) : null;
    if (!opened.ok) bad({ file: ANCHOR_FILE, line: 1, seq: null, reason: 'bad_signature', message: opened.message });
    else if (!parsed) bad({ file: ANCHOR_FILE, line: 1, seq: null, reason: 'malformed', message: 'unreadable anchor' });
    else {
      try {
        const range = new CompactRange(parsed.size, parsed.frontier);
        if (!range.root().equals(parsed.root)) throw new Error('frontier does not fold to the root');
        anchor = parsed;
      } catch (err) {
        bad({ file: ANCHOR_FILE, line: 1, seq: null, reason: 'malformed', message: (err as Error).message });
      }
    }
  }
  const base = anchor?.size ?? 0;
  const resume = opts.tailOnly && listing.hasResume ? await loadResume() : null;
  async function loadResume(): Promise<Resume | null> {
    // Anything wrong with the resume point only costs time: the scan then reads the whole log.
    const opened = openCounted(await readText(join(opts.dir, RESUME_FILE)));
    const r = opened.ok ? parseResumeBody(opened.body) : null;
    if (!r || r.size < base) return null;
    const seg = listing.segments.find((x) => x.name === r.segment);
    if (!seg || seg.firstSeq < base || seg.firstSeq > r.size) return null;
    try {
      if (!new CompactRange(r.size, r.frontier).root().equals(r.root)) return null;
    } catch {
      return null;
    }
    return r;
  }
  const head = await readHead(opts.dir, reader);
  if (head.kind === 'unreadable') {
    const message = 'the acknowledged-head file is unreadable (both slots fail their checksum)';
    bad({ file: 'head', line: 1, seq: null, reason: 'malformed', message });
  }
  const acked = head.kind === 'ok' ? head : null;

  const skippedSegments: string[] = [];
  const segments = listing.segments.filter((s) => {
    // A prune cuts at segment starts; a segment starting before the anchor is a leftover the next start deletes.
    const keep = s.firstSeq >= base;
    if (!keep) skippedSegments.push(s.name);
    return keep;
  });
  // Resuming: segments wholly before the resume point are not read at all.
  if (resume)
    segments.splice(
      0,
      segments.findIndex((s) => s.name === resume.segment),
    );
  const exported: { path: string; size: number }[][] = [];
  for (const extDir of opts.externalCheckpoints ?? []) exported.push(await listExported(extDir, reader));
  // Worker threads start on the segments now; the notes are verified meanwhile, and the pieces are joined after.
  const started =
    opts.parallel && !resume && firstBad === null
      ? startParallelScan({
          dir: opts.dir,
          reader,
          segments,
          checkpointSizes: [...listing.checkpoints, ...exported.flat()].map((c) => c.size).filter((n) => n >= base),
          acked,
          proposalId: opts.proposalId,
          options: opts.parallel,
        }).catch(() => null)
      : null;

  const checkpoints: (Checkpoint & { file: string })[] = [];
  // The text of each local note whose signature verified, by size: an exported copy with the very same bytes
  // verifies the same way, so its signature is not checked again (a directory sink holds a copy of every note).
  const verifiedText = new Map<number, { text: string; checkpoint: Checkpoint }>();
  const newest = listing.checkpoints.at(-1);
  for (const c of listing.checkpoints) {
    if (c.size < base) continue; // left over from a prune that was interrupted; covered by the anchor
    // Resuming: older checkpoints were checked when the resume point was signed.
    if (resume && c.size < resume.size && c !== newest) continue;
    const text = await readText(join(opts.dir, c.name));
    const opened = openCounted(text);
    const parsed = opened.ok ? parseCheckpointBody(opened.body) : null;
    if (!opened.ok) bad({ file: c.name, line: 1, seq: null, reason: 'bad_signature', message: opened.message });
    else if (!parsed || parsed.size !== c.size) {
      bad({ file: c.name, line: 1, seq: null, reason: 'malformed', message: 'unreadable checkpoint' });
    } else {
      checkpoints.push({ ...parsed, file: c.name });
      verifiedText.set(c.size, { text, checkpoint: parsed });
    }
  }
  for (const list of exported) {
    for (const c of list) {
      if (c.size < base) continue;
      const text = await readText(c.path);
      const same = verifiedText.get(c.size);
      if (same?.text === text) {
        checkpoints.push({ ...same.checkpoint, file: c.path });
        exportedNotes.notes++;
        exportedNotes.sameAsLocal++;
        continue;
      }
      const opened = openSigned(text);
      // Notes of other logs may share the directory: only those naming this key count.
      if (!opened.ok && opened.foreignKey) continue;
      exportedNotes.notes++;
      const parsed = opened.ok ? parseCheckpointBody(opened.body) : null;
      if (!opened.ok) bad({ file: c.path, line: 1, seq: null, reason: 'bad_signature', message: opened.message });
      else if (parsed) checkpoints.push({ ...parsed, file: c.path });
    }
  }
  checkpoints.sort((a, b) => a.size - b.size);
  for (let i = 1; i < checkpoints.length; i++) {
    const [a, b] = [checkpoints[i - 1]!, checkpoints[i]!];
    if (a.size === b.size && !a.root.equals(b.root)) {
      // SECURITY: two signed roots for one size means the log was rewritten after one of them was exported.
      const message = `two signed checkpoints of size ${a.size} disagree (${a.file}, ${b.file})`;
      bad({ file: b.file, line: 1, seq: null, reason: 'hash_mismatch', message });
    }
  }
  if (anchor && checkpoints.length > 0 && checkpoints[0]!.size === base && !checkpoints[0]!.root.equals(anchor.root)) {
    bad({ file: checkpoints[0]!.file, line: 1, seq: null, reason: 'hash_mismatch', message: 'disagrees with anchor' });
  }
  const signedSize = checkpoints.at(-1)?.size ?? 0;

  if (resume) {
    const same = checkpoints.find((c) => c.size === resume.size);
    if (same && !same.root.equals(resume.root)) {
      const message = `the signed resume point disagrees with ${same.file}`;
      bad({ file: RESUME_FILE, line: 1, seq: null, reason: 'hash_mismatch', message });
    }
  }
  let range = resume
    ? new CompactRange(resume.size, resume.frontier)
    : anchor
      ? new CompactRange(anchor.size, anchor.frontier)
      : new CompactRange();
  let lastHash = resume ? resume.lastHash : anchor ? anchor.lastHash : GENESIS_PREV;
  let nextSeq = resume ? resume.size : base;
  const startedAt = nextSeq;
  let nextCheckpoint = 0;
  while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size <= nextSeq) nextCheckpoint++;
  const approvals: LocatedRecord[] = [];
  const trail: LocatedRecord[] = [];
  const leaves: Buffer[] | null = opts.proposalId === undefined ? null : [];
  let torn: TornTail | null = null;
  let lastSegmentBytes = 0;
  let lastSegmentLines = 0;
  let lastSegmentFirstTs: string | null = null;

  let totalBytes = 0;
  for (const s of segments) totalBytes += opts.sizes?.get(s.name) ?? 0;
  let doneBytes = 0;

  const inWorkers = started ? await started : null;
  const parallel =
    inWorkers && firstBad === null
      ? await inWorkers.join({
          range,
          lastHash,
          nextSeq,
          checkpoints,
          nextCheckpoint,
          onProgress: opts.onProgress,
          progressTotal: totalBytes,
        })
      : null;
  if (parallel) {
    range = parallel.range;
    lastHash = parallel.lastHash;
    nextSeq = parallel.nextSeq;
    for (const a of parallel.approvals) approvals.push(a);
    for (const t of parallel.trail) trail.push(t);
    if (leaves && parallel.leaves) for (const l of parallel.leaves) leaves.push(l);
    lastSegmentBytes = parallel.lastSegmentBytes;
    lastSegmentLines = parallel.lastSegmentLines;
    lastSegmentFirstTs = parallel.lastSegmentFirstTs;
  }

  for (let si = 0; !parallel && si < segments.length && firstBad === null && torn === null; si++) {
    const seg = segments[si]!;
    const isLast = si === segments.length - 1;
    const startOffset = resume && seg.name === resume.segment ? resume.offset : 0;
    const path = join(opts.dir, seg.name);
    const buf = startOffset > 0 ? await readSlice(reader, path, startOffset) : await reader.readFile(path);
    if (isLast) lastSegmentBytes = startOffset + buf.length;
    if (startOffset > 0 && buf.length === 0 && !(await endsAt(reader, path, startOffset))) {
      const message = `the segment ends before byte ${startOffset}, where the signed resume point says seq ${nextSeq} begins`;
      bad({ file: seg.name, line: resume!.lines + 1, seq: nextSeq, reason: 'truncation', message });
      break;
    }
    if (startOffset > 0 && isLast) lastSegmentFirstTs = await firstRecordTs(reader, path);
    if (startOffset === 0 && seg.firstSeq !== nextSeq) {
      const reason = seg.firstSeq > nextSeq ? 'sequence_gap' : 'reorder';
      bad({ file: seg.name, line: 1, seq: seg.firstSeq, reason, message: `segment should start at seq ${nextSeq}` });
      break;
    }
    let lineNo = startOffset > 0 ? resume!.lines : 0;
    let failure: { reason: TamperReason; message: string; seq: number | null } | null = null;
    // Decode in chunks cut at line ends: a JS string cannot hold a segment of many hundred MiB.
    let chunkStart = 0;
    let start = 0;
    let text = '';
    chunks: while (chunkStart < buf.length) {
      let chunkEnd = Math.min(buf.length, chunkStart + CHUNK_BYTES);
      if (chunkEnd < buf.length) {
        const cut = buf.lastIndexOf(10, chunkEnd - 1);
        chunkEnd = cut >= chunkStart ? cut + 1 : buf.length;
      }
      text = buf.toString('utf8', chunkStart, chunkEnd);
      start = 0;
      while (start < text.length) {
        lineNo++;
        const nl = text.indexOf('\n', start);
        if (nl < 0) {
          failure = { reason: 'truncation', message: 'the line has no terminating newline (torn write)', seq: nextSeq };
          break chunks;
        }
        const parsed = parseRecordLine(text.slice(start, nl));
        if (!parsed.ok) {
          failure = { reason: parsed.reason, message: parsed.message, seq: nextSeq };
          break chunks;
        }
        const r = parsed.record;
        if (r.seq !== nextSeq) {
          let reason: TamperReason = r.seq < nextSeq ? 'reorder' : 'sequence_gap';
          // Peek at the next line (from the bytes, as it may sit in the next chunk): a swap looks like a gap.
          const after = chunkStart + Buffer.byteLength(text.slice(0, nl + 1));
          const peek = SEQ_PEEK.exec(buf.toString('utf8', after, buf.indexOf(10, after) >>> 0));
          if (r.seq > nextSeq && peek && Number(peek[1]) === nextSeq) reason = 'reorder';
          failure = { reason, message: `expected seq ${nextSeq}, found ${r.seq}`, seq: r.seq };
          break chunks;
        }
        if (r.prev !== lastHash) {
          failure = { reason: 'prev_mismatch', message: 'the record does not link to the one before it', seq: r.seq };
          break chunks;
        }
        const leaf = leafHash(r.hash);
        range.append(leaf);
        leaves?.push(leaf);
        lastHash = r.hash;
        nextSeq++;
        if (acked && nextSeq === acked.size && r.hash !== acked.lastHash) {
          const message = 'the record differs from the one acknowledged at this seq (head file)';
          bad({ file: seg.name, line: lineNo, seq: r.seq, reason: 'hash_mismatch', message });
          break chunks;
        }
        if (isLast && lastSegmentFirstTs === null) lastSegmentFirstTs = r.ts;
        if (r.type === 'approval_accepted') approvals.push({ record: r, file: seg.name, line: lineNo });
        if (opts.proposalId !== undefined && r.proposalId === opts.proposalId) {
          trail.push({ record: r, file: seg.name, line: lineNo });
        }
        let cp = checkpoints[nextCheckpoint];
        if (cp && cp.size === nextSeq) {
          // Several checkpoints (local and exported) may share a size; they were compared above.
          while (checkpoints[nextCheckpoint + 1]?.size === nextSeq) nextCheckpoint++;
          cp = checkpoints[nextCheckpoint]!;
          nextCheckpoint++;
          if (!range.root().equals(cp.root)) {
            const message = `the records up to here do not match the signed checkpoint ${cp.file}`;
            bad({ file: seg.name, line: lineNo, seq: r.seq, reason: 'hash_mismatch', message });
            break chunks;
          }
        }
        start = nl + 1;
        if (opts.onProgress && lineNo % 65536 === 0) opts.onProgress(doneBytes + chunkStart + start, totalBytes);
      }
      chunkStart = chunkEnd;
    }
    if (isLast) lastSegmentLines = lineNo;
    if (failure) {
      // SECURITY: only an unterminated last line of the log, beyond every signed checkpoint, is a torn
      // write; a complete line that does not verify is tampering wherever it is.
      const unterminated = text.indexOf('\n', start) < 0;
      if (isLast && unterminated && nextSeq >= signedSize && nextSeq >= (acked?.size ?? 0)) {
        const offset = chunkStart + Buffer.byteLength(text.slice(0, start));
        torn = { segment: seg.name, line: lineNo, offset: startOffset + offset, bytes: buf.length - offset };
      } else if (isLast && unterminated && acked && nextSeq < acked.size) {
        const message = `${acked.size} records were acknowledged (head file) but the log breaks off in a torn line at seq ${nextSeq}`;
        bad({ file: seg.name, line: lineNo, seq: nextSeq, reason: 'truncation', message });
      } else bad({ file: seg.name, line: lineNo, ...failure });
    }
    doneBytes += buf.length;
    opts.onProgress?.(doneBytes, totalBytes);
  }

  if (firstBad === null && torn === null && acked && nextSeq < acked.size) {
    const lastSeg = segments.at(-1);
    bad({
      file: lastSeg?.name ?? '(no segment)',
      line: lastSegmentLines + 1,
      seq: nextSeq,
      reason: 'truncation',
      message: `${acked.size} records were acknowledged (head file) but only ${nextSeq} are present`,
    });
  }
  if (firstBad === null && nextSeq < signedSize) {
    const lastSeg = segments.at(-1);
    bad({
      file: lastSeg?.name ?? '(no segment)',
      line: lastSegmentLines + 1,
      seq: nextSeq,
      reason: 'truncation',
      message: `the signed checkpoint covers ${signedSize} records but only ${nextSeq} are present`,
    });
  }
  return {
    listing,
    anchor,
    checkpoints,
    firstBad,
    torn,
    range,
    lastHash,
    records: nextSeq - base,
    lastSegmentBytes,
    lastSegmentFirstTs,
    lastSegmentLines,
    head,
    startedAt,
    approvals,
    trail,
    leaves,
    skippedSegments,
    foreignKey: notes > 0 && foreign === notes,
    signatures,
    exported: exportedNotes,
    inParallel: parallel !== null,
  };
}

/** True when the file is exactly `size` bytes long (a resume point at a segment's very end). */
async function endsAt(reader: EvidenceReader, path: string, size: number): Promise<boolean> {
  const before = await readSlice(reader, path, size - 1, 1);
  return before.length === 1;
}

async function listExported(dir: string, reader: EvidenceReader): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  for (const name of await reader.readdir(dir)) {
    const m = /^checkpoint-(\d{16})\.note$/.exec(name);
    if (m) out.push({ path: join(dir, name), size: Number(m[1]) });
  }
  return out;
}
