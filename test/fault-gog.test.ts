// Fault injection on the gog edge of a real sidecar: gog hanging past its timeout and gog printing garbage.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EvidenceLine, readEvidence } from './support/evidence.ts';
import { call } from './support/http.ts';
import {
  editConfig,
  mailwarden,
  readOutbox,
  removeSetup,
  startTestSidecar,
  type TestSidecar,
} from './support/sidecar.ts';

function evidenceFor(dir: string, proposalId: string): EvidenceLine[] {
  return readEvidence(dir).filter((r) => r.proposalId === proposalId);
}

const TIMEOUT_MS = 600;

describe('gog faults on a real sidecar', () => {
  let s: TestSidecar;

  beforeAll(async () => {
    s = await startTestSidecar({
      profile: 'draft_assist',
      prepare: (dir) =>
        editConfig(dir, (cfg) => {
          (cfg.gog as Record<string, unknown>).timeoutMs = TIMEOUT_MS;
        }),
    });
  });
  afterEach(() => rmSync(join(s.gogHome, 'fake-faults.json'), { force: true }));
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  const faults = (f: Record<string, unknown>) => writeFileSync(join(s.gogHome, 'fake-faults.json'), JSON.stringify(f));

  it('answers 504 GOG_TIMEOUT for a read when gog hangs, and records it', async () => {
    faults({ sleepMs: 8000 });
    const t0 = Date.now();
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.search', params: { query: 'subject:offsite' } },
    });
    // Bounded by the configured timeout plus the kill grace, never by how long gog would hang.
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.status).toBe(504);
    const p = (r.json as { proposal: { id: string; status: string; error: { code: string; message: string } } })
      .proposal;
    expect(p.status).toBe('failed');
    expect(p.error.code).toBe('GOG_TIMEOUT');
    expect(p.error.message.length).toBeGreaterThan(10);
    const trail = evidenceFor(s.evidenceDir, p.id);
    expect(trail.map((e) => e.type)).toEqual(['proposal_submitted', 'execution_started', 'execution_finished']);
    expect(trail[2]!.data).toMatchObject({ outcome: 'failed', code: 'GOG_TIMEOUT' });
  });

  it('times out a hanging draft create once: 504, outcome unknown (it may have happened), never retried', async () => {
    const before = readOutbox(s.gogHome).length;
    const callsBefore = readFileSync(join(s.gogHome, 'fake-calls.jsonl'), 'utf8').split('\n').length;
    faults({ sleepMs: 8000 });
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.drafts.create', params: { to: ['sam@example.com'], subject: 'Agenda', body: 'Hi' } },
    });
    expect(r.status).toBe(504);
    const p = (r.json as { proposal: { id: string; status: string; error: { code: string; message: string } } })
      .proposal;
    expect(p.error.code).toBe('GOG_TIMEOUT');
    // gog was stopped before it answered: the change may have been made, so it never reads as a plain failure
    // that an agent or approver would simply try again.
    expect(p.status).toBe('outcome_unknown');
    expect(p.error.message).toMatch(/may have/);
    // The hung gog was killed: after its sleep would have ended, it still wrote nothing.
    rmSync(join(s.gogHome, 'fake-faults.json'), { force: true });
    await new Promise((res) => setTimeout(res, 1500));
    expect(readOutbox(s.gogHome).length).toBe(before);
    // A write is attempted exactly once: one more gog call, no retry.
    const callsAfter = readFileSync(join(s.gogHome, 'fake-calls.jsonl'), 'utf8').split('\n').length;
    expect(callsAfter - callsBefore).toBe(1);
    const trail = evidenceFor(s.evidenceDir, p.id);
    expect(trail.filter((e) => e.type === 'execution_started')).toHaveLength(1);
    expect(trail.filter((e) => e.type === 'execution_finished')).toHaveLength(1);
    expect(trail.find((e) => e.type === 'execution_finished')?.data).toMatchObject({
      outcome: 'outcome_unknown',
      code: 'GOG_TIMEOUT',
    });
    const again = await call(s.agentSocket, 'GET', `/v1/proposals/${p.id}`, { key: s.agentKey });
    expect((again.json as { proposal: { status: string } }).proposal.status).toBe('outcome_unknown');
  });

  it('answers 502 GOG_BAD_OUTPUT when gog prints garbage, with the stdout digest in evidence', async () => {
    faults({ garbage: true });
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.labels.list', params: {} },
    });
    expect(r.status).toBe(502);
    const p = (r.json as { proposal: { id: string; status: string; error: { code: string } } }).proposal;
    expect(p.status).toBe('failed');
    expect(p.error.code).toBe('GOG_BAD_OUTPUT');
    expect(r.text).not.toContain('this is not json');
    const finished = evidenceFor(s.evidenceDir, p.id).find((e) => e.type === 'execution_finished');
    const digest = `sha256:${createHash('sha256').update('this is not json {\n').digest('hex')}`;
    expect(finished?.data).toMatchObject({ outcome: 'failed', code: 'GOG_BAD_OUTPUT', stdoutDigest: digest });
  });

  it('recovers once gog behaves again, and the evidence verifies intact', async () => {
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
