// State held against evidence at start: a reset row or a restored backup never sends twice, and a row the evidence
// has no record of is a recorded evidence gap that posture reports until an operator acknowledges it.
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidence } from './support/evidence.ts';
import { call } from './support/http.ts';
import { mailwarden, readOutbox, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

const SEND = {
  action: 'gmail.send',
  params: { to: ['sam@example.com'], subject: 'Budget', body: 'Numbers attached.' },
};

describe('state reconciled with evidence at every start (full profile)', () => {
  let s: TestSidecar;
  const stateDb = () => join(s.dir, 'state', 'state.db');

  beforeAll(async () => {
    s = await startTestSidecar({ profile: 'full' });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  const sends = () => readOutbox(s.gogHome).filter((o) => o.command === 'gmail.send').length;
  const propose = async () => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', { key: s.agentKey, body: SEND });
    expect(r.status).toBe(202);
    return (r.json as { proposal: { id: string } }).proposal.id;
  };
  const status = async (id: string) => {
    const r = await call(s.agentSocket, 'GET', `/v1/proposals/${id}`, { key: s.agentKey });
    expect(r.status, r.text).toBe(200);
    return (r.json as { proposal: { status: string; error?: { code: string } } }).proposal;
  };
  const approve = (id: string) => mailwarden(['approve', id, '--yes', '--config', s.configPath]);
  const withState = (fn: (db: Database.Database) => void) => {
    const db = new Database(stateDb());
    try {
      fn(db);
    } finally {
      db.close();
    }
  };
  const future = () => new Date(Date.now() + 3600_000).toISOString();

  it('an executed send whose row is set back to approved with a future expiry is not sent again', async () => {
    const id = await propose();
    expect((await approve(id)).code).toBe(0);
    expect((await status(id)).status).toBe('executed');
    const sent = sends();
    await s.stop();
    withState((db) => {
      const changed = db
        .prepare(
          "UPDATE proposals SET status = 'approved', exec_state = 'none', claimed_at = NULL, result = NULL, expires_at = ? WHERE id = ?",
        )
        .run(future(), id).changes;
      expect(changed).toBe(1);
    });
    // Offline, evidence verify holds the state against the log and names the row.
    const cross = await mailwarden(['evidence', 'verify', '--state', stateDb(), '--config', s.configPath, '--json']);
    expect(cross.code, cross.stdout).toBe(1);
    expect(JSON.parse(cross.stdout)).toMatchObject({
      verdict: 'intact',
      state: { mismatches: [{ proposalId: id, status: 'approved', problem: 'state_behind_evidence' }] },
    });
    s = await s.restart();
    const agreed = await mailwarden(['evidence', 'verify', '--state', stateDb(), '--config', s.configPath]);
    expect(agreed.code, agreed.stdout).toBe(0);
    expect(agreed.stdout).toContain('state: AGREES');
    const after = await status(id);
    expect(after).toMatchObject({ status: 'outcome_unknown', error: { code: 'OUTCOME_UNKNOWN' } });
    expect(sends()).toBe(sent);
    const trail = readEvidence(s.evidenceDir).filter((e) => e.proposalId === id);
    expect(trail.filter((e) => e.type === 'execution_started')).toHaveLength(1);
    expect(trail.filter((e) => e.type === 'execution_finished')).toHaveLength(1);
    expect(trail.at(-1)).toMatchObject({
      type: 'outcome_unknown',
      data: { reason: 'state_behind_evidence', rowStatus: 'approved' },
    });
  }, 90_000);

  it('a state backup taken while the send awaited approval, restored after it ran, does not send again', async () => {
    const id = await propose();
    await s.stop();
    const backup = join(s.dir, 'state-backup.db');
    // A backup inside the approval and execution window, made with SQLite's own online backup.
    const source = new Database(stateDb(), { readonly: true });
    await source.backup(backup);
    source.close();
    s = await s.restart();
    expect((await approve(id)).code).toBe(0);
    expect((await status(id)).status).toBe('executed');
    const sent = sends();
    await s.stop();
    copyFileSync(backup, stateDb());
    rmSync(`${stateDb()}-wal`, { force: true });
    rmSync(`${stateDb()}-shm`, { force: true });
    s = await s.restart();
    expect((await status(id)).status).toBe('outcome_unknown');
    // Approving the restored proposal again is refused, and nothing more is sent.
    const again = await approve(id);
    expect(again.code).not.toBe(0);
    expect(sends()).toBe(sent);
  }, 90_000);

  it('a row the evidence has no record of is an evidence gap that posture reports until acknowledged', async () => {
    const id = await propose();
    await s.stop();
    const ghost = 'a3b0c442-98fc-4c14-8afb-f4c8996fb924';
    withState((db) => {
      // A row evidence never saw: as after the log was cut back, or state brought in from elsewhere.
      db.prepare(
        `INSERT INTO proposals (id, principal, action, status, canonical, hash, decision, policy_digest, correlation_id,
           session_id, created_at, updated_at, expires_at)
         SELECT ?, principal, action, 'approved', canonical, hash, decision, policy_digest, correlation_id, session_id,
           created_at, updated_at, ? FROM proposals WHERE id = ?`,
      ).run(ghost, future(), id);
    });
    const sent = sends();
    s = await s.restart();
    expect(s.stderr()).toContain('EVIDENCE GAP');
    expect(sends()).toBe(sent);
    const gap = readEvidence(s.evidenceDir).find((e) => e.type === 'evidence_gap');
    expect(gap?.data).toMatchObject({ reason: 'state_without_evidence', count: 1, proposals: [ghost] });
    // The genuine pending proposal is untouched.
    expect((await status(id)).status).toBe('pending_approval');

    const posture = await mailwarden(['posture', '--json', '--config', s.configPath]);
    const check = (
      JSON.parse(posture.stdout) as { checks: { id: string; status: string; summary: string }[] }
    ).checks.find((c) => c.id === 'evidence.gaps');
    expect(check).toMatchObject({ status: 'fail', summary: expect.stringContaining('#1') });

    const missing = await mailwarden(['evidence', 'acknowledge-gap', '1', '--config', s.configPath]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--reason');
    const ack = await mailwarden([
      'evidence',
      'acknowledge-gap',
      '1',
      '--reason',
      'compared with the exported checkpoints: the row came from a test copy',
      '--config',
      s.configPath,
    ]);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toContain('evidence gap #1 acknowledged');
    const again = await mailwarden(['evidence', 'acknowledge-gap', '1', '--reason', 'twice', '--config', s.configPath]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no open evidence gap 1');
    const after = await mailwarden(['posture', '--json', '--config', s.configPath]);
    const passed = (JSON.parse(after.stdout) as { checks: { id: string; status: string }[] }).checks.find(
      (c) => c.id === 'evidence.gaps',
    );
    expect(passed?.status).toBe('pass');
    expect(readEvidence(s.evidenceDir).at(-1)).toMatchObject({
      type: 'evidence_gap_acknowledged',
      data: { evidenceGap: 1, actor: expect.any(String), jws: expect.any(String) },
    });
    // The gap does not come back at the next start: the row was settled, never to run.
    await s.stop();
    s = await s.restart();
    expect(readEvidence(s.evidenceDir).filter((e) => e.type === 'evidence_gap')).toHaveLength(1);
  }, 120_000);

  it('leaves evidence that verifies intact', async () => {
    const v = await mailwarden(['evidence', 'verify', '--config', s.configPath, '--json']);
    expect(v.code, v.stdout).toBe(0);
  });
});
