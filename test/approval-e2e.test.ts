// Approvals end to end: an agent proposes a send, the operator approves with the CLI, the agent long-polls the outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http.ts';
import { mailwarden, readOutbox, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

describe('approvals over real sockets (full profile)', () => {
  let s: TestSidecar;
  beforeAll(async () => {
    s = await startTestSidecar({ profile: 'full' });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  async function proposeSend(to: string[]) {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: {
        action: 'gmail.send',
        params: { to, bcc: ['audit@example.com'], subject: 'Offsite dates', body: 'Dates are 3-4 Dec.' },
      },
    });
    expect(r.status).toBe(202);
    return (r.json as { proposal: { id: string; hash: string; status: string; expiresAt: string } }).proposal;
  }

  it('waits for approval, executes once after `mailwarden approve`, and shows the agent the result', async () => {
    const p = await proposeSend(['sam@example.com']);
    expect(p.status).toBe('pending_approval');
    expect(Date.parse(p.expiresAt)).toBeGreaterThan(Date.now());
    const poll = call(s.agentSocket, 'GET', `/v1/proposals/${p.id}?wait=20`, { key: s.agentKey });

    const show = await mailwarden(['show', p.id, '--config', s.configPath]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('audit@example.com');
    expect(show.stdout).toContain('Dates are 3-4 Dec.');
    expect(show.stdout).toContain(p.hash);

    const approve = await mailwarden(['approve', p.id, '--yes', '--config', s.configPath]);
    expect(approve.stderr).toBe('');
    expect(approve.code).toBe(0);
    expect(approve.stdout).toMatch(/approved: executed/);

    const polled = await poll;
    expect(polled.status).toBe(200);
    expect((polled.json as { proposal: { status: string; result: { messageId: string } } }).proposal).toMatchObject({
      status: 'executed',
      result: { messageId: expect.any(String) },
    });
    const sends = readOutbox(s.gogHome).filter((l) => l.command === 'gmail.send');
    expect(sends).toHaveLength(1);
    expect(sends[0]!.argv.join(' ')).toContain('audit@example.com');

    const again = await mailwarden(['approve', p.id, '--yes', '--config', s.configPath]);
    expect(again.code).toBe(1);
    expect(readOutbox(s.gogHome).filter((l) => l.command === 'gmail.send')).toHaveLength(1);
  });

  it('does not sign without confirmation when there is no terminal', async () => {
    const p = await proposeSend(['sam@example.com']);
    const r = await mailwarden(['approve', p.id, '--config', s.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not confirmed/);
  });

  it('makes a rejection final and tells the agent', async () => {
    const p = await proposeSend(['sam@example.com']);
    expect((await mailwarden(['reject', p.id, '--yes', '--config', s.configPath])).code).toBe(0);
    const r = await call(s.agentSocket, 'GET', `/v1/proposals/${p.id}`, { key: s.agentKey });
    expect((r.json as { proposal: { status: string } }).proposal.status).toBe('rejected');
    expect((await mailwarden(['approve', p.id, '--yes', '--config', s.configPath])).code).toBe(1);
  });

  it('lets the agent cancel its pending proposal', async () => {
    const p = await proposeSend(['sam@example.com']);
    const r = await call(s.agentSocket, 'POST', `/v1/proposals/${p.id}/cancel`, { key: s.agentKey });
    expect(r.status).toBe(200);
    expect((r.json as { proposal: { status: string } }).proposal.status).toBe('cancelled');
    const twice = await call(s.agentSocket, 'POST', `/v1/proposals/${p.id}/cancel`, { key: s.agentKey });
    expect(twice.status).toBe(409);
  });

  it.each([
    ['POST', '/v1/proposals/x/decisions'],
    ['POST', '/v1/lockdown'],
    ['GET', '/v1/posture'],
    ['GET', '/v1/proposals'],
  ])('offers no operator route %s %s on the agent socket', async (method, path) => {
    const r = await call(s.agentSocket, method, path, {
      key: s.agentKey,
      ...(method === 'POST' ? { body: { jws: 'x' } } : {}),
    });
    expect(r.status).toBe(404);
  });

  it('refuses an unsigned decision on the operator socket and records it', async () => {
    const p = await proposeSend(['sam@example.com']);
    const r = await call(s.operatorSocket, 'POST', `/v1/proposals/${p.id}/decisions`, { body: { jws: s.agentKey } });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ error: { code: 'APPROVAL_REFUSED' } });
    const v = await mailwarden(['evidence', 'verify', '--proposal', p.id, '--json', '--config', s.configPath]);
    expect(v.stdout).toContain('approval_refused');
  });

  it('turns lockdown on and off with signed statements from the CLI', async () => {
    expect((await mailwarden(['lockdown', 'on', '--reason', 'drill', '--config', s.configPath])).code).toBe(0);
    expect((await call(s.agentSocket, 'GET', '/v1/health')).json).toMatchObject({ status: 'lockdown' });
    const denied = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.labels.list', params: {} },
    });
    expect(denied.status).toBe(403);
    expect((await mailwarden(['lockdown', 'off', '--config', s.configPath])).code).toBe(0);
    expect((await call(s.agentSocket, 'GET', '/v1/health')).json).toMatchObject({ status: 'ok' });
  });

  it('verifies the evidence as intact, approval signatures included', async () => {
    const r = await mailwarden(['evidence', 'verify', '--json', '--config', s.configPath]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { verdict: string; approvals: { verified: number } };
    expect(report.verdict).toBe('intact');
    expect(report.approvals.verified).toBeGreaterThanOrEqual(1);
  });
});
