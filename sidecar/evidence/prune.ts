// Pruning old segments: re-check them against the chain and signed checkpoints, then leave a signed anchor.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from './durable.ts';
import { EvidenceError } from './errors.ts';
import { GENESIS_PREV, parseRecordLine } from './format.ts';
import type { EvidenceFsOps } from './fs-ops.ts';
import { ANCHOR_FILE, CHECKPOINT_DIR, listEvidenceDir } from './layout.ts';
import { CompactRange, leafHash } from './merkle.ts';
import { anchorBody, openNote, parseAnchorBody, parseCheckpointBody, signNote } from './note.ts';

export interface PruneOptions {
  readonly dir: string;
  readonly fs: EvidenceFsOps;
  readonly signingKey: KeyObject;
  readonly origin: string;
  /** How many segments to keep, counting the one being written. */
  readonly keepSegments: number;
  readonly currentSegment: string;
}

export interface PruneResult {
  readonly segments: string[];
  readonly anchorSize: number;
  readonly anchorRoot: string;
}

export async function pruneSegments(opts: PruneOptions): Promise<PruneResult> {
  if (!Number.isSafeInteger(opts.keepSegments) || opts.keepSegments < 1) {
    throw new EvidenceError('EVIDENCE_UNAVAILABLE', 'keepSegments must be an integer ≥ 1');
  }
  const publicKey = createPublicKey(opts.signingKey);
  const listing = await listEvidenceDir(opts.dir);
  const tampered = (where: string, why: string) =>
    new EvidenceError('EVIDENCE_TAMPERED', `refusing to prune: ${where}: ${why}; run mailwarden evidence verify`);

  let range = new CompactRange();
  let lastHash = GENESIS_PREV;
  if (listing.hasAnchor) {
    const opened = openNote(await readFile(join(opts.dir, ANCHOR_FILE), 'utf8'), publicKey);
    const anchor = opened.ok ? parseAnchorBody(opened.body) : null;
    if (!anchor) throw tampered(ANCHOR_FILE, 'the anchor does not verify');
    range = new CompactRange(anchor.size, anchor.frontier);
    lastHash = anchor.lastHash;
  }
  const live = listing.segments.filter((s) => s.firstSeq >= range.size);
  const cut = live.length - opts.keepSegments;
  if (cut <= 0) return { segments: [], anchorSize: range.size, anchorRoot: range.root().toString('base64') };
  const doomed = live.slice(0, cut);
  if (doomed.some((s) => s.name === opts.currentSegment)) throw new Error('cannot prune the segment being written');

  const roots = new Map<number, Buffer>();
  for (const c of listing.checkpoints) {
    const opened = openNote(await readFile(join(opts.dir, c.name), 'utf8'), publicKey);
    const cp = opened.ok ? parseCheckpointBody(opened.body) : null;
    if (!cp) throw tampered(c.name, 'the checkpoint does not verify');
    roots.set(cp.size, cp.root);
  }

  for (const seg of doomed) {
    const text = await readFile(join(opts.dir, seg.name), 'utf8');
    if (seg.firstSeq !== range.size) throw tampered(seg.name, `expected the segment to start at seq ${range.size}`);
    const lines = text.split('\n');
    if (lines.pop() !== '') throw tampered(seg.name, 'the last line is not terminated');
    lines.forEach((line, i) => {
      const parsed = parseRecordLine(line);
      if (!parsed.ok) throw tampered(`${seg.name} line ${i + 1}`, parsed.message);
      if (parsed.record.seq !== range.size || parsed.record.prev !== lastHash) {
        throw tampered(`${seg.name} line ${i + 1}`, 'the chain is broken');
      }
      range.append(leafHash(parsed.record.hash));
      lastHash = parsed.record.hash;
      const signed = roots.get(range.size);
      // SECURITY: never sign an anchor over records that disagree with what was signed before.
      if (signed && !signed.equals(range.root())) throw tampered(`${seg.name} line ${i + 1}`, 'checkpoint mismatch');
    });
  }

  if (range.size === 0) return { segments: [], anchorSize: 0, anchorRoot: range.root().toString('base64') };
  const root = range.root();
  const body = anchorBody({
    origin: opts.origin,
    size: range.size,
    root,
    lastSeq: range.size - 1,
    lastHash,
    frontier: range.hashes,
  });
  // The anchor goes down first: a crash after it leaves only extra files that the next start removes.
  await writeFileDurably(opts.fs, join(opts.dir, ANCHOR_FILE), signNote(body, opts.origin, opts.signingKey));
  for (const seg of doomed) await opts.fs.unlink(join(opts.dir, seg.name));
  for (const c of listing.checkpoints) if (c.size < range.size) await opts.fs.unlink(join(opts.dir, c.name));
  await opts.fs.syncDir(opts.dir);
  await opts.fs.syncDir(join(opts.dir, CHECKPOINT_DIR));
  return { segments: doomed.map((s) => s.name), anchorSize: range.size, anchorRoot: root.toString('base64') };
}
