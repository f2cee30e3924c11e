// A flood of failed authentications on the real sidecar: answered 401 every time, but logged as a few
// aggregated lines instead of one line per request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http.ts';
import { removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

let s: TestSidecar;
beforeAll(async () => {
  s = await startTestSidecar();
});
afterAll(async () => {
  await s?.stop();
  if (s) removeSetup(s);
});

describe('failed authentication flood', () => {
  it('answers each with 401 and writes at most a couple of log lines', async () => {
    const N = 300;
    for (let i = 0; i < N; i += 30) {
      const batch = await Promise.all(
        Array.from({ length: 30 }, () => call(s.agentSocket, 'GET', '/v1/catalog', { key: `wrong-${i}` })),
      );
      for (const r of batch) expect(r.status).toBe(401);
    }
    // The real agent still gets through.
    expect((await call(s.agentSocket, 'GET', '/v1/catalog', { key: s.agentKey })).status).toBe(200);
    const lines = s
      .stderr()
      .split('\n')
      .filter((l) => l.includes('agent authentication failed'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(2);
  });
});

describe('a flood beyond the budget', () => {
  it('is held back and closes its connections, while the agent with a key is answered at once', async () => {
    const timed = async (key: string) => {
      const t0 = performance.now();
      const r = await call(s.agentSocket, 'GET', '/v1/catalog', { key });
      return { ...r, ms: performance.now() - t0, done: performance.now() };
    };
    // Well beyond the burst the sidecar lets through unheld (100), all at once.
    const flood = Array.from({ length: 160 }, (_, i) => timed(`wrong-flood-${i}`));
    await new Promise((r) => setTimeout(r, 20));
    const agent = await timed(s.agentKey);
    const failed = await Promise.all(flood);
    expect(failed.map((r) => r.status)).toEqual(failed.map(() => 401));
    for (const r of failed) {
      expect(r.headers.connection).toBe('close');
      expect((r.json as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    const held = failed.filter((r) => r.ms >= 240);
    expect(held.length).toBeGreaterThanOrEqual(40);
    expect(agent.status).toBe(200);
    // The agent's answer did not wait for the held ones.
    expect(agent.done).toBeLessThan(Math.min(...held.map((r) => r.done)));
  });
});

describe('aggregated log lines', () => {
  it('writes the first at once and the rest as one counted line per window', async () => {
    const { createThrottledLog } = await import('../sidecar/http/log-throttle.ts');
    const lines: [string, Record<string, unknown>][] = [];
    const log = createThrottledLog((m, e) => lines.push([m, e]), 'failed', 20);
    for (let i = 0; i < 100; i++) log.note({ path: `/p${i}` });
    expect(lines).toEqual([['failed', { path: '/p0' }]]);
    await new Promise((r) => setTimeout(r, 60));
    expect(lines[1]).toEqual(['failed (99 more in the last 0 s)', { path: '/p99', count: 99 }]);
    log.note();
    expect(lines).toHaveLength(3);
  });
});
