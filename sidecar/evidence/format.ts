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

const HEX64 = /^[0-9a-f]{64}$/;
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
  const h = recordHash(canonicalize(body));
  const record = { ...body, hash: h } as unknown as EvidenceRecord;
  return { record, line: `${canonicalize(record)}\n` };
}

export type ParseFailure = { ok: false; reason: 'malformed' | 'hash_mismatch'; message: string };
export type ParseResult = { ok: true; record: EvidenceRecord } | ParseFailure;

/**
 * Parse and authenticate one line (without its newline). The hash input is the line with its top-level
 * `"hash"` member cut out: for a canonical line that is exactly the canonical form of the record without
 * `hash`, and `data` (the only nested object) sorts before `hash`, so the last occurrence is the top-level one.
 * INVARIANT: the line must also be canonical, so one record has exactly one accepted byte form.
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
  if (at < 0) return { ok: false, reason: 'malformed', message: 'the line is not in canonical form' };
  const withoutHash = line.slice(0, at) + line.slice(at + member.length);
  if (recordHash(withoutHash) !== record.hash) {
    return { ok: false, reason: 'hash_mismatch', message: 'the record hash does not match its content' };
  }
  // Canonical-form check last: it is the most expensive, and only matters for a line whose hash verified.
  if (canonicalize(value) !== line) {
    return { ok: false, reason: 'malformed', message: 'the line is not in canonical form' };
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
  if (typeof r['prev'] !== 'string' || !HEX64.test(r['prev'])) return 'field "prev" must be 64 hex digits';
  if (typeof r['hash'] !== 'string' || !HEX64.test(r['hash'])) return 'field "hash" must be 64 hex digits';
  return null;
}

const ALLOWED_KEYS = new Set(['v', 'seq', 'ts', 'type', 'proposalId', 'principal', 'data', 'prev', 'hash']);
