// Opening the log: create the directory, recover (verify, quarantine a torn tail), then hand out the writer.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createBlinder } from './blind.ts';
import { writeFileDurably } from './durable.ts';
import { EvidenceError } from './errors.ts';
import { type EvidenceFsOps, nodeFsOps } from './fs-ops.ts';
import { HeadFile } from './head.ts';
import { CHECKPOINT_DIR, quarantineName, segmentName } from './layout.ts';
import { lockEvidenceDir } from './lock.ts';
import { rawPublicKey } from './note.ts';
import { scanLog } from './scan.ts';
import type { CheckpointSink, EvidenceLogEvent } from './types.ts';
import { type EvidenceLogHandle, EvidenceWriter } from './writer.ts';

export interface OpenEvidenceLogOptions {
  readonly dir: string;
  /** Ed25519 private key that signs checkpoints and anchors; separate from every approver's key. */
  readonly signingKey: KeyObject;
  /** Key of `blind()` (HMAC-SHA256), at least 32 bytes. */
  readonly blindingKey: Uint8Array;
  /** Checkpoint origin line, e.g. "mailwarden/<hostname>". */
  readonly origin: string;
  readonly now?: () => Date;
  readonly checkpointEvery?: { readonly records: number; readonly seconds: number };
  readonly rotate?: { readonly maxBytes: number; readonly maxAgeSeconds?: number; readonly keepSegments?: number };
  readonly sink?: CheckpointSink;
  readonly onEvent?: (e: EvidenceLogEvent) => void;
  /** File-system edge; the real one unless a test injects another. */
  readonly fsOps?: EvidenceFsOps;
}

export const DEFAULT_CHECKPOINT_EVERY = { records: 1000, seconds: 60 } as const;
/** Segments stay small enough to read whole; nothing is pruned unless `keepSegments` says so. */
export const DEFAULT_ROTATE = { maxBytes: 64 * 1024 * 1024 } as const;

export async function openEvidenceLog(opts: OpenEvidenceLogOptions): Promise<EvidenceLogHandle> {
  const fs = opts.fsOps ?? nodeFsOps();
  const now = opts.now ?? (() => new Date());
  const onEvent = opts.onEvent ?? (() => undefined);
  checkOptions(opts);
  const blind = createBlinderChecked(opts.blindingKey);
  rawPublicKey(opts.signingKey); // throws a clear error for a key of the wrong type
  if (opts.signingKey.type !== 'private') {
    throw new EvidenceError('EVIDENCE_KEY_INVALID', 'signingKey must be the Ed25519 private key of the evidence log');
  }
  // SECURITY: the log is readable only by the service user until an operator chooses to share it.
  await mkdir(join(opts.dir, CHECKPOINT_DIR), { recursive: true, mode: 0o700 });
  const unlock = await lockEvidenceDir(opts.dir);
  try {
    return await recoverAndOpen(opts, fs, now, onEvent, blind, unlock);
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function recoverAndOpen(
  opts: OpenEvidenceLogOptions,
  fs: EvidenceFsOps,
  now: () => Date,
  onEvent: (e: EvidenceLogEvent) => void,
  blind: (value: string) => string,
  unlock: () => Promise<void>,
): Promise<EvidenceLogHandle> {
  // Start-up trusts the newest signed checkpoint (its resume point) and verifies only the records after it;
  // `mailwarden evidence verify` re-reads everything.
  const scan = await scanLog({ dir: opts.dir, publicKey: createPublicKey(opts.signingKey), tailOnly: true });
  if (scan.foreignKey) {
    throw new EvidenceError(
      'EVIDENCE_KEY_INVALID',
      `the evidence log in ${opts.dir} was signed by a different key; configure its original evidence key, ` +
        'or move the old log aside (keeping its public key to verify it) and start a new one',
    );
  }
  if (scan.firstBad) {
    const b = scan.firstBad;
    throw new EvidenceError(
      'EVIDENCE_TAMPERED',
      `evidence in ${opts.dir} is tampered: ${b.file} line ${b.line}${b.seq === null ? '' : ` (seq ${b.seq})`}: ` +
        `${b.reason}: ${b.message}. The sidecar will not start; run \`mailwarden evidence verify\` and ` +
        'investigate before moving the log aside.',
    );
  }
  // Leftovers of interrupted writes and prunes: already superseded, safe to remove.
  for (const tmp of scan.listing.temporaries) await unlink(join(opts.dir, tmp)).catch(() => undefined);
  for (const seg of scan.skippedSegments) await fs.unlink(join(opts.dir, seg));
  for (const c of scan.listing.checkpoints) {
    if (scan.anchor && c.size < scan.anchor.size) await fs.unlink(join(opts.dir, c.name));
  }

  let recovered: { segment: string; line: number; bytes: number; sha256: string; quarantine: string } | null = null;
  if (scan.torn) {
    const t = scan.torn;
    const segPath = join(opts.dir, t.segment);
    const fragment = (await readFile(segPath)).subarray(t.offset);
    const quarantine = quarantineName(t.segment, now(), t.offset);
    // SECURITY: the torn bytes are kept aside before the segment is cut, never silently dropped.
    await writeFileDurably(fs, join(opts.dir, quarantine), fragment);
    const fd = await fs.open(segPath, 'a', 0o600);
    try {
      await fs.ftruncate(fd, t.offset);
      await fs.fsync(fd);
    } finally {
      await fs.close(fd);
    }
    const sha256 = createHash('sha256').update(fragment).digest('hex');
    recovered = { segment: t.segment, line: t.line, bytes: fragment.length, sha256, quarantine };
  }

  const last = scan.listing.segments.filter((s) => !scan.skippedSegments.includes(s.name)).at(-1);
  const segment = last?.name ?? segmentName(scan.range.size);
  // Everything on disk now is durable and chained: from here on it counts as acknowledged.
  if (scan.head.kind === 'missing' && scan.range.size > 0) {
    onEvent({ kind: 'head_created', size: scan.range.size, previous: 'missing' });
  }
  const head = await HeadFile.create(fs, opts.dir, { size: scan.range.size, lastHash: scan.lastHash });
  const fd = await fs.open(join(opts.dir, segment), 'a', 0o600);
  if (!last) await fs.syncDir(opts.dir);
  onEvent({ kind: 'opened', size: scan.range.size, verifiedFrom: scan.startedAt });
  const writer = new EvidenceWriter(
    {
      dir: opts.dir,
      fs,
      signingKey: opts.signingKey,
      origin: opts.origin,
      now,
      blind,
      checkpointEvery: opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
      rotate: opts.rotate ?? DEFAULT_ROTATE,
      sink: opts.sink ?? null,
      onEvent,
      onClosed: unlock,
      head,
    },
    {
      fd,
      segment,
      segmentBytes: recovered ? (scan.torn?.offset ?? 0) : last ? scan.lastSegmentBytes : 0,
      // A torn line is the last line; the lines before it stay.
      segmentLines: last ? (recovered ? scan.lastSegmentLines - 1 : scan.lastSegmentLines) : 0,
      segmentFirstTs: scan.lastSegmentFirstTs ? new Date(scan.lastSegmentFirstTs) : null,
      range: scan.range,
      lastHash: scan.lastHash,
      lastCheckpointSize: scan.checkpoints.at(-1)?.size ?? -1,
      resumeSize: -1,
    },
  );
  try {
    if (recovered) {
      await writer.append({ type: 'evidence_recovered', data: { ...recovered, reason: 'torn_final_line' } });
      const { segment: seg, line, quarantine } = recovered;
      onEvent({ kind: 'recovered', segment: seg, line, quarantine });
    }
    // Seal whatever the last run left unsigned (or start a fresh log with a signed empty tree).
    await writer.checkpoint();
  } catch (err) {
    await writer.close().catch(() => undefined);
    throw err;
  }
  return writer;
}

function createBlinderChecked(key: Uint8Array): (value: string) => string {
  try {
    return createBlinder(key);
  } catch (err) {
    throw new EvidenceError('EVIDENCE_KEY_INVALID', (err as Error).message);
  }
}

function checkOptions(opts: OpenEvidenceLogOptions): void {
  if (!opts.origin || /[\n\s]/.test(opts.origin)) {
    throw new EvidenceError(
      'EVIDENCE_UNAVAILABLE',
      'origin must be a non-empty string without spaces, e.g. "mailwarden/host"',
    );
  }
  const c = opts.checkpointEvery;
  if (c && (!(c.records >= 1) || !(c.seconds >= 0))) {
    throw new EvidenceError(
      'EVIDENCE_UNAVAILABLE',
      'checkpointEvery needs records ≥ 1 and seconds ≥ 0 (0 disables the timer)',
    );
  }
  if (opts.rotate && !(opts.rotate.maxBytes >= 1)) {
    throw new EvidenceError('EVIDENCE_UNAVAILABLE', 'rotate.maxBytes must be ≥ 1');
  }
}
