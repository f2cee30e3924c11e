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
import { createProposalService, type ExecutionControls } from './service.ts';

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

const NO_CONTROLS: ExecutionControls = {
  preflight: () => ({ ok: true, settle() {} }),
  recheck: async () => ({ ok: true }),
  prepare: (p) => ({ params: p.params }),
  filter: (_p, result) => result,
};

interface SetupOptions {
  readonly countReads?: boolean;
  readonly controls?: Partial<ExecutionControls>;
}

async function setup(profile = 'draft_assist', opts: SetupOptions = {}) {
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
    ...(opts.controls
      ? {
          guard: {
            facts: {
              gather: async () => ({
                facts: {
                  guarded: false,
                  lockdown: { global: null, principal: null },
                  internalDomains: [],
                  recipients: null,
                  taint: { readExternal: false, readCodes: [] },
                  capHeadroom: null,
                },
                card: {},
              }),
            },
            execution: { ...NO_CONTROLS, ...opts.controls },
          },
        }
      : {}),
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

describe('finishing an execution', () => {
  /** The status of the proposal at the moment each evidence record of these types was appended. */
  function statusAtAppend(
    ctx: Awaited<ReturnType<typeof setup>>,
    types: readonly string[],
  ): { type: string; status: string | undefined }[] {
    const seen: { type: string; status: string | undefined }[] = [];
    const append = ctx.evidence.append.bind(ctx.evidence);
    ctx.evidence.append = (event) => {
      if (types.includes(event.type) && event.proposalId) {
        seen.push({ type: event.type, status: ctx.service.load(event.proposalId)?.row.status });
      }
      return append(event);
    };
    return seen;
  }

  const endings = ['execution_finished', 'outcome_unknown'];

  it('writes evidence before state when gog ran cleanly', async () => {
    const ctx = await setup('draft_assist');
    const seen = statusAtAppend(ctx, endings);
    const rec = await ctx.service.submit('agent-1', READ);
    expect(rec.row.status).toBe('executed');
    expect(seen).toEqual([{ type: 'execution_finished', status: 'approved' }]);
  });

  it('writes evidence before state when a control refuses after the claim', async () => {
    const ctx = await setup('draft_assist', {
      controls: { preflight: () => ({ ok: false, code: 'SEND_CAP_REACHED', message: 'the cap is reached' }) },
    });
    const seen = statusAtAppend(ctx, endings);
    const rec = await ctx.service.submit('agent-1', READ);
    expect(rec.row.status).toBe('failed');
    expect(JSON.parse(rec.row.error!)).toMatchObject({ code: 'SEND_CAP_REACHED' });
    expect(seen).toEqual([{ type: 'execution_finished', status: 'approved' }]);
    expect(ctx.executor.runs).toEqual([]);
  });

  it('writes evidence before state when the executor itself breaks', async () => {
    const ctx = await setup('draft_assist');
    ctx.executor.next = 'throw';
    const seen = statusAtAppend(ctx, endings);
    const rec = await ctx.service.submit('agent-1', READ);
    expect(rec.row.status).toBe('outcome_unknown');
    expect(JSON.parse(rec.row.error!)).toMatchObject({ code: 'EXECUTOR_CRASHED' });
    expect(seen).toEqual([{ type: 'outcome_unknown', status: 'approved' }]);
  });

  it('a proposal whose stored bytes changed is refused, with evidence first, and never runs', async () => {
    const ctx = await setup('full');
    const rec = await ctx.service.submit('agent-1', SEND);
    ctx.db
      .prepare("UPDATE proposals SET status = 'approved', canonical = replace(canonical, 'sam@', 'eve@') WHERE id = ?")
      .run(rec.row.id);
    const seen = statusAtAppend(ctx, endings);
    await ctx.service.execute(rec.row.id);
    expect(ctx.service.load(rec.row.id)?.row.status).toBe('failed');
    expect(JSON.parse(ctx.service.load(rec.row.id)!.row.error!)).toMatchObject({ code: 'STATE_TAMPERED' });
    expect(seen).toEqual([{ type: 'execution_finished', status: 'approved' }]);
    expect(ctx.executor.runs).toEqual([]);
  });
});
