// A real evidence log of N records, generated fast but in exactly the writer's format: canonical lines, the record
// hash chain, the Merkle tree, signed checkpoints at the shipped cadence (every 1,000 records, or once a minute of
// record time has passed: at one record a second, every 60 records) with its resume point, each also exported to
// the directory sink `mailwarden init` configures, and the acknowledged head. The records are not appended through
// the durable writer (one fsync per batch would take minutes for 1M records); the first ones are checked byte for
// byte against the writer's own record builder, and `mailwarden serve` and `evidence verify` take the log as their
// own.
import { createPrivateKey, hash, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { buildRecord, GENESIS_PREV, RECORD_DOMAIN } from '../sidecar/evidence/format.ts';
import { nodeFsOps } from '../sidecar/evidence/fs-ops.ts';
import { HeadFile } from '../sidecar/evidence/head.ts';
import { CHECKPOINT_DIR, checkpointName, RESUME_FILE, segmentName } from '../sidecar/evidence/layout.ts';
import { CompactRange, leafHash } from '../sidecar/evidence/merkle.ts';
import { checkpointBody, resumeBody, signNote } from '../sidecar/evidence/note.ts';
import { DEFAULT_CHECKPOINT_EVERY } from '../sidecar/evidence/open.ts';

const ORIGIN = 'mailwarden/bench';
const SEGMENT_BYTES = 64 * 1024 * 1024;
/** The shipped `evidence.checkpoint` setting (sidecar/evidence/open.ts, DEFAULT_CHECKPOINT_EVERY). */
const CHECKPOINT_EVERY = DEFAULT_CHECKPOINT_EVERY.records;
const CHECKPOINT_MS = DEFAULT_CHECKPOINT_EVERY.seconds * 1000;
/** One record a second: 1M records span about 12 days, as a busy mailbox's log would. */
export const SPACING_MS = 1000;

export const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** The line the writer would write for record `seq` (checked against buildRecord for the first records). */
function line(seq: number, prev: string, ts: string): { text: string; hash: string } {
  const withoutHash =
    `{"data":{"action":"gmail.send","effect":"approve","n":${seq}},"prev":"${prev}","principal":"agent:bench",` +
    `"proposalId":"${id(seq)}","seq":${seq},"ts":"${ts}","type":"proposal_submitted","v":1}`;
  const h = hash('sha256', RECORD_DOMAIN + withoutHash, 'hex');
  const at = withoutHash.lastIndexOf(',"prev":"');
  return { text: `${withoutHash.slice(0, at)},"hash":"${h}"${withoutHash.slice(at)}\n`, hash: h };
}

/**
 * Replaces the log in `dir` with N generated records, and the exported checkpoints beside it (`../checkpoints`,
 * where `mailwarden init` points the directory sink) with a copy of each of its checkpoints.
 */
export async function generateLog(dir: string, n: number, key: KeyObject, start: number): Promise<number> {
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  // Checkpoints exported by earlier runs belong to other logs.
  rmSync(join(dir, '..', 'checkpoints'), { recursive: true, force: true });
  mkdirSync(join(dir, '..', 'checkpoints'), { mode: 0o700 });
  mkdirSync(join(dir, CHECKPOINT_DIR), { recursive: true, mode: 0o700 });
  const range = new CompactRange();
  let prev = GENESIS_PREV;
  let segment = segmentName(0);
  let parts: string[] = [];
  let bytes = 0;
  let lines = 0;
  const flush = () => {
    writeFileSync(join(dir, segment), parts.join(''), { flag: 'a', mode: 0o600 });
    parts = [];
  };
  let lastCheckpointSize = 0;
  let lastCheckpointMs = start;
  const checkpoint = (atMs: number) => {
    const body = checkpointBody({ origin: ORIGIN, size: range.size, root: range.root() });
    const text = signNote(body, ORIGIN, key);
    writeFileSync(join(dir, CHECKPOINT_DIR, checkpointName(range.size)), text, { mode: 0o600 });
    writeFileSync(join(dir, '..', 'checkpoints', checkpointName(range.size)), text, { mode: 0o600 });
    lastCheckpointSize = range.size;
    lastCheckpointMs = atMs;
  };
  for (let seq = 0; seq < n; seq++) {
    const atMs = start + seq * SPACING_MS;
    // The writer's timer: a minute after the last checkpoint, the records since then are signed.
    if (atMs - lastCheckpointMs >= CHECKPOINT_MS && range.size > lastCheckpointSize) checkpoint(atMs);
    const ts = new Date(atMs).toISOString();
    const l = line(seq, prev, ts);
    if (seq < 3) {
      const event = {
        type: 'proposal_submitted' as const,
        proposalId: id(seq),
        principal: 'agent:bench',
        data: { action: 'gmail.send', effect: 'approve', n: seq },
      };
      const real = buildRecord(event, seq, prev, new Date(ts));
      if (real.line !== l.text)
        throw new Error(`generated record ${seq} differs from the writer's:\n${l.text}${real.line}`);
    }
    parts.push(l.text);
    bytes += l.text.length;
    lines++;
    range.append(leafHash(l.hash));
    prev = l.hash;
    if (parts.length >= 10_000) flush();
    if (range.size - lastCheckpointSize >= CHECKPOINT_EVERY) checkpoint(atMs);
    if (bytes >= SEGMENT_BYTES && seq + 1 < n) {
      flush();
      if (range.size > lastCheckpointSize) checkpoint(atMs);
      segment = segmentName(seq + 1);
      bytes = 0;
      lines = 0;
    }
  }
  flush();
  if (n === 0) writeFileSync(join(dir, segment), '', { mode: 0o600 });
  if (range.size > lastCheckpointSize || n === 0) checkpoint(start + n * SPACING_MS);
  const resume = resumeBody({
    origin: ORIGIN,
    size: range.size,
    root: range.root(),
    lastHash: prev,
    segment,
    offset: bytes,
    lines,
    frontier: range.hashes,
  });
  writeFileSync(join(dir, RESUME_FILE), signNote(resume, ORIGIN, key), { mode: 0o600 });
  await (await HeadFile.create(nodeFsOps(), dir, { size: range.size, lastHash: prev })).close();
  return performance.now() - t0;
}

/** The setup's evidence signing key, so a generated log verifies as the sidecar's own. */
export function evidenceKey(config: string): KeyObject {
  const cfg = parse(readFileSync(config, 'utf8')) as { evidence?: { signingKey?: string } };
  const file = cfg.evidence?.signingKey;
  if (!file) throw new Error(`no evidence.signingKey in ${config}`);
  return createPrivateKey(readFileSync(isAbsolute(file) ? file : join(dirname(config), file)));
}
