// In-process life-cycle tests: a real SQLite file and evidence log, a recording executor, no process spawned.
import { createPrivateKey, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionName, ProposalRequest } from '../../shared/index.ts';
import { generateEvidenceKeys, openEvidenceLog, verifyEvidence } from '../evidence/index.ts';
import type { GogExecutor, GogOutcome } from '../exec/types.ts';
import { loadPolicy } from '../policy/index.ts';
import { CORE_MIGRATIONS, openStateDb, type StateDb } from '../state/index.ts';
import { createProposalService } from './service.ts';

const POLICIES = join(import.meta.dirname, '..', '..', 'policies');
const SEND = {
  action: 'gmail.send',
  params: { to: ['sam@example.com'], subject: 'Hi', body: 'Hello' },
} as ProposalRequest;
const READ = { action: 'gmail.search', params: { query: 'is:unread' } } as ProposalRequest;

class RecordingExecutor implements GogExecutor {
  readonly runs: ActionName[] = [];
  next: GogOutcome | 'throw' | null = null;
  async execute(action: ActionName): Promise<GogOutcome> {
    this.runs.push(action);
    const info = { exitCode: 0, durationMs: 1, stdoutDigest: 'sha256:0', stderrDigest: 'sha256:0', attempts: 1 };
    const next = this.next;
    this.next = null;
    if (next === 'throw') throw new Error('executor died mid-call');
    return next ?? { ok: true, result: { messages: [], nextPageToken: null }, info };
  }
  async readDraft() {
    return { ok: false as const, code: 'GOG_NOT_FOUND' as const, message: 'no drafts here' };
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Counts reads of one proposal row by id: the statement `repo.get` prepares. */
function countRowReads(db: StateDb): { reads: number } {
  const counter = { reads: 0 };
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const stmt = prepare(sql);
    if (sql !== 'SELECT * FROM proposals WHERE id = ?') return stmt;
    const get = stmt.get.bind(stmt);
    stmt.get = ((...args: unknown[]) => {
      counter.reads++;
      return get(...args);
    }) as typeof stmt.get;
    return stmt;
  }) as typeof db.prepare;
  return counter;
}

async function setup(profile = 'draft_assist', opts: { countReads?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mw-lifecycle-'));
  const keys = generateEvidenceKeys();
  const evidence = await openEvidenceLog({
    dir: join(dir, 'evidence'),
    signingKey: createPrivateKey(keys.privateKeyPem),
    blindingKey: randomBytes(32),
    origin: 'mailwarden/test',
  });
  const db = openStateDb({ file: join(dir, 'state.db'), migrations: CORE_MIGRATIONS });
  const rowReads = opts.countReads ? countRowReads(db) : { reads: 0 };
  const executor = new RecordingExecutor();
  const service = createProposalService({
    db,
    policy: loadPolicy(join(POLICIES, `${profile}.yaml`)),
    executor,
    evidence,
    approvals: async () => ({ ok: true }),
    now: () => new Date(),
    newId: () => randomUUID(),
  });
  cleanups.push(async () => {
    await evidence.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const verify = () => verifyEvidence({ dir: join(dir, 'evidence'), publicKey: createPublicKey(keys.publicKeyPem) });
  return { db, evidence, executor, service, rowReads, verify };
}

describe('submitting', () => {
  it('answers a denied proposal from what it stored, without reading the row back', async () => {
    const { service, rowReads } = await setup('draft_assist', { countReads: true });
    const rec = await service.submit('agent-1', SEND);
    expect(rec.row.status).toBe('denied');
    expect(rowReads.reads).toBe(0);
    // What was answered is what a later read finds.
    expect(service.load(rec.row.id)).toEqual(rec);
  });

  it('answers a pending proposal from what it stored, without reading the row back', async () => {
    const { service, rowReads } = await setup('full', { countReads: true });
    const rec = await service.submit('agent-1', SEND);
    expect(rec.row.status).toBe('pending_approval');
    expect(rowReads.reads).toBe(0);
    expect(service.load(rec.row.id)).toEqual(rec);
  });

  it('proposals submitted together are each stored and each evidenced', async () => {
    const { service, verify } = await setup('full');
    const recs = await Promise.all(Array.from({ length: 20 }, () => service.submit('agent-1', SEND)));
    expect(new Set(recs.map((r) => r.row.id)).size).toBe(20);
    for (const r of recs) expect(service.load(r.row.id)?.row.status).toBe('pending_approval');
    const report = await verify();
    expect(report.verdict).toBe('intact');
    expect(report.verdict === 'intact' && report.records).toBe(20);
  });

  it('an allowed read executes at once and answers with its outcome', async () => {
    const { service, executor } = await setup('draft_assist');
    const rec = await service.submit('agent-1', READ);
    expect(rec.row.status).toBe('executed');
    expect(executor.runs).toEqual(['gmail.search']);
  });
});
