// A flood of failed authentications on the real sidecar: answered 401 every time, but logged as a few
// aggregated lines instead of one line per request.
import { connect, type Socket } from 'node:net';
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

/**
 * A wrong-key POST over a raw, half-open socket (as http.client is: the answer and the server's end do not stop
 * the client's writes): `head` goes at once, `then` sends the rest. Resolves at the close with what arrived,
 * the first socket error, and the milliseconds from the first write.
 */
function wrongKeyPost(
  headers: string,
  then: (socket: Socket) => void,
): Promise<{ text: string; error: string | null; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ path: s.agentSocket, allowHalfOpen: true });
    let text = '';
    let error: string | null = null;
    socket.on('data', (d) => {
      text += d.toString('utf8');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e.code ?? e.message;
    });
    socket.on('close', () => resolve({ text, error, ms: performance.now() - t0 }));
    socket.write(
      `POST /v1/proposals HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer mwa_not-the-key\r\n${headers}\r\n`,
    );
    then(socket);
  });
}

// Runs first: the budget answered at once is still whole, so the 401 is not held while the body arrives.
describe('a wrong key on a request with a body', () => {
  it('is answered 401 even when the body comes after a pause, not with a broken connection', async () => {
    // Python's http.client (the Hermes plugin) sends the headers and the body in two writes. Answering and
    // closing between them made the body's write fail, and the client reported "unreachable", not "wrong key".
    const body = JSON.stringify({ action: 'gmail.labels.list', params: {} });
    const outcome = await wrongKeyPost(
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`,
      (socket) => setTimeout(() => socket.write(body, () => socket.end()), 300),
    );
    expect(outcome.error).toBeNull();
    expect(outcome.text).toMatch(/^HTTP\/1\.1 401 /);
    expect(outcome.text).toContain('UNAUTHENTICATED');
  });
});

describe('a wrong key on a body that never ends', () => {
  it('is answered 401 and closed after the body wait, not held open by the client', async () => {
    let drip: NodeJS.Timeout | undefined;
    const outcome = await wrongKeyPost('Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', (socket) => {
      drip = setInterval(() => socket.write('5\r\n{"a":\r\n'), 50);
    });
    clearInterval(drip);
    expect(outcome.text).toMatch(/^HTTP\/1\.1 401 /);
    // The body is waited for at most 2 s (plus the tarpit's hold, if the budget is spent).
    expect(outcome.ms).toBeGreaterThanOrEqual(1900);
    expect(outcome.ms).toBeLessThan(6000);
  });
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
    // Spend the burst the sidecar answers unheld (100), whatever earlier tests left of it.
    for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 30 }, (_, j) => timed(`drain-${i}-${j}`)));
    // Now every failure is held; the keyed agent comes after them and must not wait for them.
    const flood = Array.from({ length: 60 }, (_, i) => timed(`wrong-flood-${i}`));
    await new Promise((r) => setTimeout(r, 20));
    const agent = await timed(s.agentKey);
    const failed = await Promise.all(flood);
    expect(failed.map((r) => r.status)).toEqual(failed.map(() => 401));
    for (const r of failed) {
      expect(r.headers.connection).toBe('close');
      expect((r.json as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    // The budget refills at 50 a second (about a dozen during the last held batch above): those go through at once.
    const held = failed.filter((r) => r.ms >= 240);
    expect(held.length).toBeGreaterThanOrEqual(30);
    expect(agent.status).toBe(200);
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
