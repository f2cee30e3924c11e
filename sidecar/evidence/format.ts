// The record format: canonical JSON lines, domain-separated SHA-256 record hashes, and their fast parsing.
import { hash } from 'node:crypto';
import { canonicalize } from '../../shared/canonical-json.ts';
import type { EvidenceEvent } from './types.ts';

export const RECORD_VERSION = 1;
/** Prefix of every record hash input, so a record hash can never be confused with any other SHA-256 use. */
export const RECORD_DOMAIN = 'mailwarden/evidence/v1\n';
/** `prev` of the very first record (seq 0): SHA-256 of a fixed label, the same for every log. */
export const GENESIS_PREV = hash('sha256', 'mailwarden/evidence/v1/genesis', 'hex');

export interface EvidenceRecord {
  readonly v: number;
  readonly seq: number;
  readonly ts: string;
  readonly type: string;
  readonly proposalId?: string;
  readonly principal?: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly prev: string;
  readonly hash: string;
}

const TYPE = /^[a-z][a-z0-9_]{0,63}$/;
const ISO_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;

export function recordHash(canonicalWithoutHash: string): string {
  return hash('sha256', RECORD_DOMAIN + canonicalWithoutHash, 'hex');
}

/** Build the next record and its line (with the trailing newline) from an event and the chain head. */
export function buildRecord(
  event: EvidenceEvent,
  seq: number,
  prev: string,
  ts: Date,
): { record: EvidenceRecord; line: string } {
  const body: Record<string, unknown> = {
    v: RECORD_VERSION,
    seq,
    ts: ts.toISOString(),
    type: event.type,
    data: event.data ?? {},
    prev,
  };
  if (event.proposalId !== undefined) body['proposalId'] = event.proposalId;
  if (event.principal !== undefined) body['principal'] = event.principal;
  const withoutHash = canonicalize(body);
  const h = recordHash(withoutHash);
  const record = { ...body, hash: h } as unknown as EvidenceRecord;
  // In canonical order `hash` sits right before `prev` (no allowed key sorts between them), and the
  // top-level `,"prev":"` is the last one: `data` comes before it and strings cannot hold `,"` unescaped.
  const at = withoutHash.lastIndexOf(PREV_MEMBER);
  const line = `${withoutHash.slice(0, at)},"hash":"${h}"${withoutHash.slice(at)}\n`;
  return { record, line };
}

export type ParseFailure = { ok: false; reason: 'malformed' | 'hash_mismatch'; message: string };
export type ParseResult = { ok: true; record: EvidenceRecord } | ParseFailure;

const PREV_MEMBER = ',"prev":"';

/**
 * Parse and authenticate one line (without its newline). The hash input is the line with its top-level
 * `"hash"` member cut out: for a canonical line that is exactly the canonical form of the record without
 * `hash`, and `data` (the only nested object) sorts before `hash`, so the last occurrence is the top-level one.
 * The hash thus covers every byte of the line except the member's position, which must be the canonical one
 * (right before `prev`); so any change to the bytes of a line changes its hash. The writer only ever writes
 * canonical lines; a full canonical re-serialisation here would triple the cost of verification.
 */
export function parseRecordLine(line: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'malformed', message: 'the line is not valid JSON' };
  }
  const shape = checkShape(value);
  if (shape !== null) return { ok: false, reason: 'malformed', message: shape };
  const record = value as EvidenceRecord;
  const member = `,"hash":"${record.hash}"`;
  const at = line.lastIndexOf(member);
  if (at < 0 || !line.startsWith(PREV_MEMBER, at + member.length)) {
    return { ok: false, reason: 'malformed', message: 'the line is not in canonical form' };
  }
  const withoutHash = line.slice(0, at) + line.slice(at + member.length);
  // `hash` is known to be 64 characters; equality with a computed hex digest proves its form too.
  if (recordHash(withoutHash) !== record.hash) {
    return { ok: false, reason: 'hash_mismatch', message: 'the record hash does not match its content' };
  }
  return { ok: true, record };
}

function checkShape(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the line is not a JSON object';
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!ALLOWED_KEYS.has(key)) return `unknown field "${key}"`;
  }
  if (r['v'] !== RECORD_VERSION) return `field "v" must be ${RECORD_VERSION}`;
  const seq = r['seq'];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'field "seq" must be an integer ≥ 0';
  if (typeof r['ts'] !== 'string' || !ISO_TS.test(r['ts'])) return 'field "ts" must be an ISO-8601 UTC time';
  if (typeof r['type'] !== 'string' || !TYPE.test(r['type'])) return 'field "type" must be a snake_case name';
  for (const key of ['proposalId', 'principal'] as const) {
    const v = r[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0))
      return `field "${key}" must be a non-empty string`;
  }
  const data = r['data'];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'field "data" must be an object';
  // Hot path: the hex form of `prev` and `hash` is proven by comparing them with computed digests.
  if (typeof r['prev'] !== 'string' || r['prev'].length !== 64) return 'field "prev" must be 64 hex digits';
  if (typeof r['hash'] !== 'string' || r['hash'].length !== 64) return 'field "hash" must be 64 hex digits';
  return null;
}

const ALLOWED_KEYS = new Set(['v', 'seq', 'ts', 'type', 'proposalId', 'principal', 'data', 'prev', 'hash']);
