// Which record types the log holds for a few proposals, found without reading the whole log when it can be helped.
import { join } from 'node:path';
import { type EvidenceReader, firstRecordTs, listEvidenceDir, nodeReader, readSlice } from './layout.ts';

export interface ProposalEvidence {
  /** Record types found for the proposal, each with the seq of its first occurrence. */
  readonly types: ReadonlyMap<string, number>;
}

export interface FindProposalEvidenceOptions {
  readonly dir: string;
  readonly ids: ReadonlySet<string>;
  /**
   * A time before every record of these proposals (e.g. the oldest creation time minus a margin). Segments that
   * began before it and were followed by another that also began before it are skipped. Proposals with nothing
   * found after it are looked for again in the whole log, so a wrong clock costs time, never a wrong answer.
   */
  readonly since?: string;
  readonly reader?: EvidenceReader;
}

export interface FoundEvidence {
  readonly byId: ReadonlyMap<string, ProposalEvidence>;
  /** Bytes of segments read, for the curious (and the benchmark). */
  readonly bytesRead: number;
}

const PROPOSAL_ID = '"proposalId":"';
const TYPE = '"type":"';
const SEQ = '"seq":';
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * A reader, not a verifier: it trusts the lines as they are (start-up verified the tail, `evidence verify`
 * checks the rest). Only complete lines are read, so it may run beside the writer.
 */
export async function findProposalEvidence(opts: FindProposalEvidenceOptions): Promise<FoundEvidence> {
  const reader = opts.reader ?? nodeReader;
  const found = new Map<string, Map<string, number>>();
  let bytesRead = 0;
  if (opts.ids.size === 0) return { byId: new Map(), bytesRead };
  const listing = await listEvidenceDir(opts.dir, reader);
  const segments = listing.segments.map((s) => s.name);
  let from = 0;
  if (opts.since !== undefined) {
    // The last segment that began at or before `since` holds its first records; earlier ones cannot.
    for (let i = segments.length - 1; i > 0; i--) {
      const ts = await firstRecordTs(reader, join(opts.dir, segments[i]!));
      if (ts !== null && ts <= opts.since) {
        from = i;
        break;
      }
    }
  }
  // Within the first segment, skip ahead to the first line at or after `since` (timestamps only grow).
  const skip =
    opts.since !== undefined && segments.length > 0
      ? await seekTs(reader, join(opts.dir, segments[from]!), opts.since)
      : 0;
  bytesRead += await scanSegments(reader, opts.dir, segments.slice(from), opts.ids, found, skip);
  const missing = new Set([...opts.ids].filter((id) => !found.has(id)));
  if (missing.size > 0 && (from > 0 || skip > 0)) {
    bytesRead += await scanSegments(reader, opts.dir, segments.slice(0, from + 1), missing, found);
  }
  const byId = new Map<string, ProposalEvidence>();
  for (const [id, types] of found) byId.set(id, { types });
  return { byId, bytesRead };
}

async function scanSegments(
  reader: EvidenceReader,
  dir: string,
  names: readonly string[],
  ids: ReadonlySet<string>,
  found: Map<string, Map<string, number>>,
  firstOffset = 0,
): Promise<number> {
  let bytes = 0;
  for (const [i, name] of names.entries()) {
    const path = join(dir, name);
    // Read in slices, so memory stays flat however large a segment grows.
    let offset = i === 0 ? firstOffset : 0;
    for (;;) {
      let buf: Buffer;
      try {
        buf = await readSlice(reader, path, offset, CHUNK_BYTES);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break; // pruned meanwhile
        throw err;
      }
      const cut = buf.lastIndexOf(10);
      if (cut < 0) break; // no complete line left (or a line longer than a slice, which the writer never makes)
      scanText(buf.toString('utf8', 0, cut + 1), ids, found);
      bytes += cut + 1;
      offset += cut + 1;
      if (buf.length < CHUNK_BYTES) break;
    }
  }
  return bytes;
}

/** Byte offset of a line start in the segment at or before the first line whose ts is ≥ `since` (binary search). */
async function seekTs(reader: EvidenceReader, path: string, since: string): Promise<number> {
  if (!reader.size) return 0;
  let lo = 0;
  let hi = await reader.size(path);
  // INVARIANT: the line starting at `lo` (a line start) has ts < since, or lo = 0.
  while (hi - lo > 64 * 1024) {
    const mid = Math.floor((lo + hi) / 2);
    const probe = (await readSlice(reader, path, mid, 16 * 1024)).toString('utf8');
    const nl = probe.indexOf('\n');
    const end = nl < 0 ? -1 : probe.indexOf('\n', nl + 1);
    if (end < 0) return lo;
    const lineText = probe.slice(nl + 1, end);
    const at = lineText.lastIndexOf('"ts":"');
    if (at < 0) return lo;
    const ts = lineText.slice(at + 6, lineText.indexOf('"', at + 6));
    const lineStart = mid + Buffer.byteLength(probe.slice(0, nl + 1));
    if (ts < since) lo = lineStart;
    else hi = mid;
  }
  return lo;
}

function scanText(text: string, ids: ReadonlySet<string>, found: Map<string, Map<string, number>>): void {
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    // Top-level members follow `data` in canonical order, so the last `"seq":` of a line is the record's own,
    // and a proposalId sits right before it: `…"proposalId":"ID","seq":N,"ts":"…","type":"T","v":1}`.
    const seqAt = text.lastIndexOf(SEQ, nl);
    if (seqAt > start && text.charCodeAt(seqAt - 2) === 34 /* " */) {
      const idStart = text.lastIndexOf('"', seqAt - 3) + 1;
      if (text.startsWith(PROPOSAL_ID, idStart - PROPOSAL_ID.length)) {
        const id = text.slice(idStart, seqAt - 2);
        if (ids.has(id)) {
          const t = text.lastIndexOf(TYPE, nl) + TYPE.length;
          const type = text.slice(t, text.indexOf('"', t));
          const seq = Number.parseInt(text.slice(seqAt + SEQ.length, seqAt + SEQ.length + 17), 10);
          const types = found.get(id) ?? new Map<string, number>();
          found.set(id, types);
          if (!types.has(type)) types.set(type, seq);
        }
      }
    }
    start = nl + 1;
  }
}
