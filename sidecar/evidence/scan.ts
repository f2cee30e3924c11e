// One pass over a log directory: checks every record, the chain, the signed checkpoints and the prune anchor.
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EvidenceRecord, GENESIS_PREV, parseRecordLine } from './format.ts';
import { ANCHOR_FILE, type Listing, listEvidenceDir } from './layout.ts';
import { CompactRange, leafHash } from './merkle.ts';
import { type Anchor, type Checkpoint, openNote, parseAnchorBody, parseCheckpointBody } from './note.ts';

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
  readonly approvals: readonly LocatedRecord[];
  readonly trail: readonly LocatedRecord[];
  /** Leaf hashes from the anchor on, kept only when a proposal trail was asked for. */
  readonly leaves: readonly Buffer[] | null;
  readonly skippedSegments: readonly string[];
  /** Notes were found and none of them names the given key: most likely the wrong public key. */
  readonly foreignKey: boolean;
}

export interface ScanOptions {
  readonly dir: string;
  readonly publicKey: KeyObject;
  readonly proposalId?: string;
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Segment sizes, for progress; read lazily otherwise. */
  readonly sizes?: ReadonlyMap<string, number>;
}

const SEQ_PEEK = /"seq":(\d+)/;

export async function scanLog(opts: ScanOptions): Promise<ScanResult> {
  const listing = await listEvidenceDir(opts.dir);
  let firstBad: BadRecord | null = null;
  const bad = (b: BadRecord) => {
    firstBad ??= b;
  };

  let notes = 0;
  let foreign = 0;
  const openCounted = (text: string) => {
    const opened = openNote(text, opts.publicKey);
    notes++;
    if (!opened.ok && opened.foreignKey) foreign++;
    return opened;
  };
  let anchor: Anchor | null = null;
  if (listing.hasAnchor) {
    const text = await readFile(join(opts.dir, ANCHOR_FILE), 'utf8');
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

  const checkpoints: (Checkpoint & { file: string })[] = [];
  for (const c of listing.checkpoints) {
    if (c.size < base) continue; // left over from a prune that was interrupted; covered by the anchor
    const text = await readFile(join(opts.dir, c.name), 'utf8');
    const opened = openCounted(text);
    const parsed = opened.ok ? parseCheckpointBody(opened.body) : null;
    if (!opened.ok) bad({ file: c.name, line: 1, seq: null, reason: 'bad_signature', message: opened.message });
    else if (!parsed || parsed.size !== c.size) {
      bad({ file: c.name, line: 1, seq: null, reason: 'malformed', message: 'unreadable checkpoint' });
    } else checkpoints.push({ ...parsed, file: c.name });
  }
  if (anchor && checkpoints.length > 0 && checkpoints[0]!.size === base && !checkpoints[0]!.root.equals(anchor.root)) {
    bad({ file: checkpoints[0]!.file, line: 1, seq: null, reason: 'hash_mismatch', message: 'disagrees with anchor' });
  }
  const signedSize = checkpoints.at(-1)?.size ?? 0;

  const range = anchor ? new CompactRange(anchor.size, anchor.frontier) : new CompactRange();
  let lastHash = anchor ? anchor.lastHash : GENESIS_PREV;
  let nextSeq = base;
  let nextCheckpoint = 0;
  while (nextCheckpoint < checkpoints.length && checkpoints[nextCheckpoint]!.size <= base) nextCheckpoint++;
  const approvals: LocatedRecord[] = [];
  const trail: LocatedRecord[] = [];
  const leaves: Buffer[] | null = opts.proposalId === undefined ? null : [];
  const skippedSegments: string[] = [];
  let torn: TornTail | null = null;
  let lastSegmentBytes = 0;
  let lastSegmentFirstTs: string | null = null;

  const segments = listing.segments.filter((s) => {
    // A prune cuts at segment starts; a segment starting before the anchor is a leftover the next start deletes.
    const keep = s.firstSeq >= base;
    if (!keep) skippedSegments.push(s.name);
    return keep;
  });
  let totalBytes = 0;
  for (const s of segments) totalBytes += opts.sizes?.get(s.name) ?? 0;
  let doneBytes = 0;

  for (let si = 0; si < segments.length && firstBad === null && torn === null; si++) {
    const seg = segments[si]!;
    const isLast = si === segments.length - 1;
    const buf = await readFile(join(opts.dir, seg.name));
    const text = buf.toString('utf8');
    if (isLast) lastSegmentBytes = buf.length;
    if (seg.firstSeq !== nextSeq) {
      const reason = seg.firstSeq > nextSeq ? 'sequence_gap' : 'reorder';
      bad({ file: seg.name, line: 1, seq: seg.firstSeq, reason, message: `segment should start at seq ${nextSeq}` });
      break;
    }
    let start = 0;
    let lineNo = 0;
    while (start < text.length) {
      lineNo++;
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      const line = text.slice(start, end);
      const fail = (reason: TamperReason, message: string, seq: number | null) => {
        // SECURITY: only an unterminated last line of the log, beyond every signed checkpoint, is a torn
        // write; a complete line that does not verify is tampering wherever it is.
        if (isLast && nl < 0 && nextSeq >= signedSize) {
          const offset = Buffer.byteLength(text.slice(0, start));
          torn = { segment: seg.name, line: lineNo, offset, bytes: buf.length - offset };
        } else bad({ file: seg.name, line: lineNo, seq, reason, message });
      };
      if (nl < 0) {
        fail('truncation', 'the line has no terminating newline (torn write)', nextSeq);
        break;
      }
      const parsed = parseRecordLine(line);
      if (!parsed.ok) {
        fail(parsed.reason, parsed.message, nextSeq);
        break;
      }
      const r = parsed.record;
      if (r.seq !== nextSeq) {
        let reason: TamperReason = r.seq < nextSeq ? 'reorder' : 'sequence_gap';
        const peek = SEQ_PEEK.exec(text.slice(end + 1, text.indexOf('\n', end + 1) >>> 0));
        if (r.seq > nextSeq && peek && Number(peek[1]) === nextSeq) reason = 'reorder';
        fail(reason, `expected seq ${nextSeq}, found ${r.seq}`, r.seq);
        break;
      }
      if (r.prev !== lastHash) {
        fail('prev_mismatch', 'the record does not link to the one before it', r.seq);
        break;
      }
      const leaf = leafHash(r.hash);
      range.append(leaf);
      leaves?.push(leaf);
      lastHash = r.hash;
      nextSeq++;
      if (isLast && lastSegmentFirstTs === null) lastSegmentFirstTs = r.ts;
      if (r.type === 'approval_accepted') approvals.push({ record: r, file: seg.name, line: lineNo });
      if (opts.proposalId !== undefined && r.proposalId === opts.proposalId) {
        trail.push({ record: r, file: seg.name, line: lineNo });
      }
      const cp = checkpoints[nextCheckpoint];
      if (cp && cp.size === nextSeq) {
        nextCheckpoint++;
        if (!range.root().equals(cp.root)) {
          bad({
            file: seg.name,
            line: lineNo,
            seq: r.seq,
            reason: 'hash_mismatch',
            message: `the records up to here do not match the signed checkpoint ${cp.file}`,
          });
          break;
        }
      }
      start = nl + 1;
      if (opts.onProgress && lineNo % 65536 === 0) opts.onProgress(doneBytes + start, totalBytes);
    }
    doneBytes += buf.length;
    opts.onProgress?.(doneBytes, totalBytes);
  }

  if (firstBad === null && nextSeq < signedSize) {
    const lastSeg = segments.at(-1);
    bad({
      file: lastSeg?.name ?? '(no segment)',
      line: lastSeg ? countLines(lastSegmentBytes, await readFile(join(opts.dir, lastSeg.name))) + 1 : 1,
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
    approvals,
    trail,
    leaves,
    skippedSegments,
    foreignKey: notes > 0 && foreign === notes,
  };
}

function countLines(_bytes: number, buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
