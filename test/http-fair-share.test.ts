// The share of the loop one agent gets while another is active, on the real sidecar: waiting for an approver
// (a long poll) is not work, so an agent with many long polls open is still answered at once; an agent whose
// last answers were refusals gets one request in progress at a time.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgentKey, hashAgentKey } from '../sidecar/auth/index.ts';
import { call } from './support/http.ts';
import { editConfig, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

let s: TestSidecar;
const otherKey = generateAgentKey();

beforeAll(async () => {
  s = await startTestSidecar({
    profile: 'full',
    prepare: (dir) => editConfig(dir, (cfg) => cfg.agents.push({ id: 'other-agent', keyHash: hashAgentKey(otherKey) })),
  });
});
afterAll(async () => {
  await s?.stop();
  if (s) removeSetup(s);
});

describe('fair share while another agent is active', () => {
  it('does not count long polls against an agent: more of them than its share leave it answered at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: { action: 'gmail.send', params: { to: ['sam@example.com'], subject: `Note ${i}`, body: 'Hello.' } },
      });
      expect(r.status).toBe(202);
      ids.push((r.json as { proposal: { id: string } }).proposal.id);
    }
    // The other agent is active, so the share applies; then ten long polls, more than an agent's share of eight.
    expect((await call(s.agentSocket, 'GET', '/v1/catalog', { key: otherKey })).status).toBe(200);
    const polls = ids.map((id) => call(s.agentSocket, 'GET', `/v1/proposals/${id}?wait=4`, { key: s.agentKey }));
    await new Promise((r) => setTimeout(r, 200));
    expect((await call(s.agentSocket, 'GET', '/v1/catalog', { key: otherKey })).status).toBe(200);
    const t0 = performance.now();
    const r = await call(s.agentSocket, 'GET', '/v1/catalog', { key: s.agentKey });
    const ms = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(ms).toBeLessThan(2000);
    for (const p of await Promise.all(polls)) {
      expect(p.status).toBe(200);
      expect((p.json as { proposal: { status: string } }).proposal.status).toBe('pending_approval');
    }
  });

  it('takes an agent whose last answers were refusals one request at a time, and gives its share back', async () => {
    const search = { action: 'gmail.search', params: { query: 'subject:offsite' } };
    const twoReads = async () => {
      // The other agent is active, so the share applies.
      expect((await call(s.agentSocket, 'GET', '/v1/catalog', { key: otherKey })).status).toBe(200);
      const t0 = performance.now();
      const both = await Promise.all(
        [0, 1].map(() => call(s.agentSocket, 'POST', '/v1/proposals', { key: s.agentKey, body: search })),
      );
      for (const r of both) expect(r.status).toBe(200);
      return performance.now() - t0;
    };
    writeFileSync(join(s.gogHome, 'fake-faults.json'), JSON.stringify({ sleepMs: 1500 }));
    try {
      // Two reads side by side: gog sleeps 1.5 s in each, at the same time.
      expect(await twoReads()).toBeLessThan(2900);
      for (let i = 0; i < 4; i++) {
        const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
          key: s.agentKey,
          body: { action: 'gmail.search', params: { query: 'x', bcc: ['a@b.c'] } },
        });
        expect(r.status).toBe(400);
      }
      // After four refusals in a row the second read waits for the first.
      expect(await twoReads()).toBeGreaterThanOrEqual(3000);
      // Their successes ended it.
      expect(await twoReads()).toBeLessThan(2900);
    } finally {
      rmSync(join(s.gogHome, 'fake-faults.json'), { force: true });
    }
  });
});
