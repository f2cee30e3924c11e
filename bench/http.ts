// Governed proposal throughput and latency over a unix socket, against a bare route on the same kind of socket.
import { join } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '../test/support/sidecar.ts';
import { type LoadRequest, type LoadResult, load } from './autocannon.ts';
import { spawnUntilReady } from './child.ts';
import type { Scenario } from './http-server.ts';

export const CONCURRENCY = [1, 8, 32] as const;

export interface HttpRun {
  readonly scenario: Scenario;
  readonly connections: number;
  readonly result: LoadResult;
}

const ReadySchema = z.object({ socket: z.string(), key: z.string() });

const SEARCH_BODY = JSON.stringify({ action: 'gmail.search', params: { query: 'subject:offsite' } });
const SEND_BODY = JSON.stringify({
  action: 'gmail.send',
  params: { to: ['sam@example.com'], subject: 'Hello', body: 'A short note.' },
});

function requestFor(scenario: Scenario, key: string): LoadRequest {
  const headers = { authorization: `Bearer ${key}` };
  if (scenario === 'denied') return { method: 'POST', path: '/v1/proposals', headers, body: SEND_BODY };
  return { method: 'POST', path: '/v1/proposals', headers, body: SEARCH_BODY };
}

/** Runs one scenario's server in its own process, so the load generator does not share its event loop. */
export async function benchScenario(scenario: Scenario, seconds: number): Promise<HttpRun[]> {
  const server = await spawnUntilReady(process.execPath, [
    '--import',
    'tsx',
    join(REPO_ROOT, 'bench', 'http-server.ts'),
    scenario,
  ]);
  try {
    const ready = ReadySchema.parse(JSON.parse(server.line));
    const requests = [requestFor(scenario, ready.key)];
    // Warm-up: JIT, SQLite page cache, first evidence segment.
    await load({ socketPath: ready.socket, connections: 8, durationSeconds: 1, requests });
    const runs: HttpRun[] = [];
    for (const connections of CONCURRENCY) {
      const result = await load({ socketPath: ready.socket, connections, durationSeconds: seconds, requests });
      runs.push({ scenario, connections, result });
    }
    return runs;
  } finally {
    await server.stop();
  }
}
