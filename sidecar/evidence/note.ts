// Signed notes (C2SP signed-note, Ed25519): checkpoints (C2SP tlog-checkpoint body) and prune anchors.
import { createPublicKey, hash, type KeyObject, sign, verify } from 'node:crypto';
import { EvidenceError } from './errors.ts';

const EM_DASH = '\u2014';
const ANCHOR_HEADER = 'mailwarden/evidence/anchor/v1';
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decode base64 only in its one canonical spelling (unused trailing bits zero), so notes are not malleable. */
function strictBase64(text: string): Buffer | null {
  if (!B64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
}

export interface Anchor {
  readonly origin: string;
  /** Number of pruned records: the seq of the first record still on disk. */
  readonly size: number;
  readonly root: Buffer;
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Compact range of the pruned prefix, largest subtree first. */
  readonly frontier: readonly Buffer[];
}

export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') {
    throw new EvidenceError(
      'EVIDENCE_KEY_INVALID',
      'the evidence key must be an Ed25519 key; create one with `mailwarden keygen`',
    );
  }
  const jwk = pub.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new EvidenceError('EVIDENCE_KEY_INVALID', 'the evidence key has no public part');
  return Buffer.from(jwk.x, 'base64url');
}

/** C2SP signed-note key id for Ed25519: first 4 bytes of SHA-256(name || "\n" || 0x01 || public key). */
const keyIds = new WeakMap<KeyObject, Map<string, Buffer>>();

export function keyId(name: string, publicKey: KeyObject): Buffer {
  let byName = keyIds.get(publicKey);
  if (!byName) {
    byName = new Map();
    keyIds.set(publicKey, byName);
  }
  let id = byName.get(name);
  if (!id) {
    id = computeKeyId(name, publicKey);
    byName.set(name, id);
  }
  return id;
}

function computeKeyId(name: string, publicKey: KeyObject): Buffer {
  const input = Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), rawPublicKey(publicKey)]);
  return (hash('sha256', input, 'buffer') as unknown as Buffer).subarray(0, 4);
}

export function signNote(body: string, name: string, privateKey: KeyObject): string {
  const sig = sign(null, Buffer.from(body), privateKey);
  const blob = Buffer.concat([keyId(name, privateKey), sig]).toString('base64');
  return `${body}\n${EM_DASH} ${name} ${blob}\n`;
}

export type OpenedNote =
  | { ok: true; body: string }
  /** `foreignKey`: well-formed, but no signature line is by this key (a wrong key, or a replaced note). */
  | { ok: false; message: string; foreignKey: boolean };

/** Split a note, and accept it only if one of its signature lines is a valid signature by `publicKey`. */
export function openNote(text: string, publicKey: KeyObject): OpenedNote {
  const split = text.indexOf('\n\n');
  if (split < 0) return { ok: false, message: 'no blank line between body and signatures', foreignKey: false };
  const body = text.slice(0, split + 1);
  const sigLines = text.slice(split + 2).split('\n');
  if (sigLines.at(-1) === '') sigLines.pop();
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) return { ok: false, message: 'a signature line is malformed', foreignKey: false };
    const [, name, blob] = m as unknown as [string, string, string];
    const raw = strictBase64(blob);
    if (raw === null || raw.length !== 68) continue;
    if (!raw.subarray(0, 4).equals(keyId(name, publicKey))) continue;
    if (verify(null, Buffer.from(body), publicKey, raw.subarray(4))) return { ok: true, body };
    return { ok: false, message: `the signature by ${name} does not verify`, foreignKey: false };
  }
  return { ok: false, message: 'no signature by the evidence public key', foreignKey: true };
}

export function checkpointBody(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`;
}

export function parseCheckpointBody(body: string): Checkpoint | null {
  const lines = body.split('\n');
  // Three lines plus the empty string after the final newline; extension lines are not used.
  if (lines.length !== 4 || lines[3] !== '') return null;
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0 || origin === ANCHOR_HEADER) return null;
  if (!/^(0|[1-9]\d{0,15})$/.test(sizeText)) return null;
  const root = strictBase64(rootText);
  if (root === null || root.length !== 32) return null;
  return { origin, size: Number(sizeText), root };
}

export function anchorBody(a: Anchor): string {
  const frontier = a.frontier.map((h) => `${h.toString('base64')}\n`).join('');
  return `${ANCHOR_HEADER}\n${a.origin}\n${a.size}\n${a.root.toString('base64')}\n${a.lastSeq} ${a.lastHash}\n${frontier}`;
}

export function parseAnchorBody(body: string): Anchor | null {
  const lines = body.split('\n');
  if (lines.at(-1) !== '') return null;
  lines.pop();
  const [header, origin, sizeText, rootText, last, ...frontierText] = lines;
  if (header !== ANCHOR_HEADER || !origin || !sizeText || !rootText || !last) return null;
  if (!/^[1-9]\d{0,15}$/.test(sizeText)) return null;
  const m = /^(0|[1-9]\d{0,15}) ([0-9a-f]{64})$/.exec(last);
  if (!m) return null;
  const frontier: Buffer[] = [];
  for (const f of frontierText) {
    const h = strictBase64(f);
    if (h === null || h.length !== 32) return null;
    frontier.push(h);
  }
  const root = strictBase64(rootText);
  if (root === null || root.length !== 32) return null;
  return { origin, size: Number(sizeText), root, lastSeq: Number(m[1]), lastHash: m[2]!, frontier };
}

const RESUME_HEADER = 'mailwarden/evidence/resume/v1';

/**
 * Where a start may pick the chain up without re-reading what a signed checkpoint already covers: the tree's
 * compact range at `size`, the hash of record `size - 1`, and where record `size` begins on disk.
 */
export interface Resume {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
  readonly lastHash: string;
  readonly segment: string;
  /** Byte offset of record `size` in `segment` (its length when the segment ends there). */
  readonly offset: number;
  /** Lines of `segment` before that offset. */
  readonly lines: number;
  readonly frontier: readonly Buffer[];
}

export function resumeBody(r: Resume): string {
  const frontier = r.frontier.map((h) => `${h.toString('base64')}\n`).join('');
  return (
    `${RESUME_HEADER}\n${r.origin}\n${r.size}\n${r.root.toString('base64')}\n${r.lastHash}\n` +
    `${r.segment} ${r.offset} ${r.lines}\n${frontier}`
  );
}

export function parseResumeBody(body: string): Resume | null {
  const lines = body.split('\n');
  if (lines.at(-1) !== '') return null;
  lines.pop();
  const [header, origin, sizeText, rootText, lastHash, where, ...frontierText] = lines;
  if (header !== RESUME_HEADER || !origin || !sizeText || !rootText || !lastHash || !where) return null;
  if (!/^(0|[1-9]\d{0,15})$/.test(sizeText) || !/^[0-9a-f]{64}$/.test(lastHash)) return null;
  const m = /^(evidence-\d{16}\.jsonl) (0|[1-9]\d{0,15}) (0|[1-9]\d{0,15})$/.exec(where);
  if (!m) return null;
  const frontier: Buffer[] = [];
  for (const f of frontierText) {
    const h = strictBase64(f);
    if (h === null || h.length !== 32) return null;
    frontier.push(h);
  }
  const root = strictBase64(rootText);
  if (root === null || root.length !== 32) return null;
  return {
    origin,
    size: Number(sizeText),
    root,
    lastHash,
    segment: m[1]!,
    offset: Number(m[2]),
    lines: Number(m[3]),
    frontier,
  };
}
