// Fault injection: another process holds an exclusive write lock on state.db longer than the busy timeout.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidence } from './support/evidence.ts';
import { call } from './support/http.ts';
import { mailwarden, readOutbox, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

/** Far beyond the sidecar's busy timeout (sidecar/state/database.ts); the lock is released as soon as the answer comes. */
const HOLD_MS = 12_000;

describe('state.db locked by another process', () => {
  let s: TestSidecar;

  beforeAll(async () => {
    s = await startTestSidecar({ profile: 'draft_assist' });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  const proposalIds = async () => {
    const r = await call(s.operatorSocket, 'GET', '/v1/proposals?limit=1000');
    expect(r.status).toBe(200);
    return (r.json as { proposals: { id: string }[] }).proposals.map((p) => p.id);
  };

  let before: string[] = [];
  let outboxBefore = 0;
  let answer: Awaited<ReturnType<typeof call>>;
  let elapsedMs = 0;
  let healthDuringLockMs = 0;

  it('holds the lock while an agent proposes a draft create', async () => {
    before = await proposalIds();
    outboxBefore = readOutbox(s.gogHome).length;
    const lock = new Database(join(s.dir, 'state', 'state.db'));
    lock.exec('BEGIN EXCLUSIVE');
    try {
      const t0 = Date.now();
      const proposing = call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: { action: 'gmail.drafts.create', params: { to: ['sam@example.com'], subject: 'Plan', body: 'Draft.' } },
      }).then((r) => {
        elapsedMs = Date.now() - t0;
        return r;
      });
      await new Promise((res) => setTimeout(res, 500));
      const h0 = Date.now();
      await call(s.agentSocket, 'GET', '/v1/health');
      healthDuringLockMs = Date.now() - h0;
      answer = await Promise.race([
        proposing,
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer while locked')), HOLD_MS)),
      ]);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    expect(elapsedMs).toBeLessThan(HOLD_MS);
  }, 30_000);

  it('answers with a clear, retryable error in the contract shape (503 STATE_BUSY)', () => {
    expect({ status: answer.status, code: (answer.json as { error?: { code: string } }).error?.code }).toEqual({
      status: 503,
      code: 'STATE_BUSY',
    });
    const error = (answer.json as { error: { message: string } }).error;
    expect(error.message).toMatch(/state|database|lock|busy/i);
  });

  it('leaves nothing half-done: no proposal in state, nothing run, no unexplained evidence', async () => {
    expect(await proposalIds()).toEqual(before);
    expect(readOutbox(s.gogHome).length).toBe(outboxBefore);
    // Evidence must not claim a proposal that state never held without also recording that it failed.
    const records = readEvidence(s.evidenceDir);
    const knownIds = new Set(await proposalIds());
    const orphans = records
      .filter((e) => e.type === 'proposal_submitted' && !knownIds.has(e.proposalId ?? ''))
      .map((e) => e.proposalId);
    const unexplained = orphans.filter(
      (id) => !records.some((e) => e.proposalId === id && e.type !== 'proposal_submitted'),
    );
    expect(unexplained).toEqual([]);
  });

  it('keeps answering other requests while the database is locked', () => {
    // better-sqlite3 waits for the lock synchronously, so a long wait would stall every socket.
    expect(healthDuringLockMs).toBeLessThan(1000);
  });

  describe('when the lock is taken while gog runs (the outcome cannot be stored)', () => {
    let id = '';
    let lateAnswer: Awaited<ReturnType<typeof call>>;
    let draftsBefore = 0;
    const drafts = () => readOutbox(s.gogHome).filter((o) => o.command === 'gmail.drafts.create').length;
    const gogCalls = () => {
      const file = join(s.gogHome, 'fake-calls.jsonl');
      return existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.length > 0).length
        : 0;
    };

    it('locks state.db after the claim, while gog creates the draft', async () => {
      draftsBefore = drafts();
      const callsBefore = gogCalls();
      writeFileSync(join(s.gogHome, 'fake-faults.json'), JSON.stringify({ sleepMs: 1500 }));
      const proposing = call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: { action: 'gmail.drafts.create', params: { to: ['sam@example.com'], subject: 'Late', body: 'Late.' } },
      });
      const deadline = Date.now() + 10_000;
      while (gogCalls() === callsBefore && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(gogCalls()).toBe(callsBefore + 1);
      rmSync(join(s.gogHome, 'fake-faults.json'), { force: true });
      const lock = new Database(join(s.dir, 'state', 'state.db'));
      lock.exec('BEGIN EXCLUSIVE');
      try {
        lateAnswer = await Promise.race([
          proposing,
          new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer while locked')), HOLD_MS)),
        ]);
      } finally {
        lock.exec('ROLLBACK');
        lock.close();
      }
      const submitted = readEvidence(s.evidenceDir).filter((e) => e.type === 'proposal_submitted');
      id = submitted.at(-1)?.proposalId ?? '';
      expect(id).not.toBe('');
    }, 30_000);

    it('ran gog exactly once for it', () => {
      expect(drafts() - draftsBefore).toBe(1);
    });

    it('records the outcome gog reported in evidence, even though state could not take it', () => {
      const trail = readEvidence(s.evidenceDir).filter((e) => e.proposalId === id);
      expect(trail.map((e) => e.type)).toContain('execution_finished');
    });

    it('tells the agent something more precise than an internal error', () => {
      const code = (lateAnswer.json as { error?: { code: string } }).error?.code;
      expect({ status: lateAnswer.status, code }).not.toEqual({ status: 500, code: 'INTERNAL' });
    });

    it('does not leave the proposal looking approved-but-not-run once the lock is gone', async () => {
      const r = await call(s.agentSocket, 'GET', `/v1/proposals/${id}`, { key: s.agentKey });
      expect(['executed', 'outcome_unknown']).toContain((r.json as { proposal: { status: string } }).proposal.status);
    });

    it('never runs it again after a restart', async () => {
      await s.stop();
      s = await s.restart();
      const r = await call(s.agentSocket, 'GET', `/v1/proposals/${id}`, { key: s.agentKey });
      expect(['executed', 'outcome_unknown']).toContain((r.json as { proposal: { status: string } }).proposal.status);
      expect(drafts() - draftsBefore).toBe(1);
    });
  });

  it('works normally once the lock is released, and the evidence verifies', async () => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.labels.list', params: {} },
    });
    expect(r.status).toBe(200);
    const v = await mailwarden(['evidence', 'verify', '--config', s.configPath, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ verdict: 'intact' });
  });
});
