// The load generator as its own process (pinned to its own core by run.ts): reads one JSON job per stdin line,
// answers one JSON result per stdout line. Jobs: an autocannon run, approval round trips, and a flood with a
// victim measured beside it.
import { Agent, request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { loadSigningKey, newNonce, signStatement } from '../sidecar/approval/index.ts';
import { call } from '../test/support/http.ts';
import { type LoadResult, load } from './autocannon.ts';
import { quantile } from './stats.ts';

const RequestSchema = z.object({
  method: z.enum(['GET', 'POST']),
  path: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
});

const JobSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('load'),
    socketPath: z.string(),
    connections: z.number(),
    seconds: z.number(),
    requests: z.array(RequestSchema),
  }),
  z.object({
    kind: z.literal('approval'),
    agentSocket: z.string(),
    operatorSocket: z.string(),
    agentKey: z.string(),
    approverKeyFile: z.string(),
    approver: z.string(),
    connections: z.number(),
    seconds: z.number(),
  }),
  z.object({
    kind: z.literal('flood'),
    socketPath: z.string(),
    seconds: z.number(),
    flood: z.array(RequestSchema).nullable(),
    floodConnections: z.number(),
    victim: z.array(RequestSchema),
    /** Start the other agent's requests at least this far apart (to keep it under a rate limit). */
    victimPaceMs: z.number().optional(),
  }),
]);
type Job = z.infer<typeof JobSchema>;

export type ClientJob = Job;
export interface ApprovalResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly failures: number;
}
export interface FloodResult {
  readonly victim: LoadResult;
  readonly flood: LoadResult | null;
}

async function approvals(job: Extract<Job, { kind: 'approval' }>): Promise<ApprovalResult> {
  const signer = loadSigningKey(job.approverKeyFile);
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + job.seconds * 1000;
  const started = performance.now();
  const worker = async (n: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const t0 = performance.now();
      const sub = await call(job.agentSocket, 'POST', '/v1/proposals', {
        key: job.agentKey,
        body: {
          action: 'gmail.send',
          params: { to: ['sam@example.com'], subject: `Round trip ${n}.${i}`, body: 'A short note.' },
        },
      });
      const p = (sub.json as { proposal?: { id: string; hash: string } }).proposal;
      if (sub.status !== 202 || !p) {
        failures++;
        continue;
      }
      const iat = Math.floor(Date.now() / 1000);
      const jws = await signStatement(
        {
          proposalId: p.id,
          proposalHash: p.hash,
          approver: job.approver,
          decision: 'approve',
          nonce: newNonce(),
          iat,
          exp: iat + 300,
        },
        signer.key,
        signer.alg,
      );
      const dec = await call(job.operatorSocket, 'POST', `/v1/proposals/${p.id}/decisions`, { body: { jws } });
      if (dec.status !== 200 || (dec.json as { outcome?: string }).outcome !== 'executed') failures++;
      else latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: job.connections }, (_, n) => worker(n)));
  const seconds = (performance.now() - started) / 1000;
  return {
    rps: latencies.length / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    total: latencies.length,
    failures,
  };
}

/**
 * The other agent: one keep-alive connection, one request after another, each timed to the microsecond. The
 * load generator's histogram has a resolution of 1 ms, which rounds a p99 of 0.6 ms and one of 1.4 ms alike.
 */
async function timedOneByOne(
  socketPath: string,
  seconds: number,
  requests: readonly z.infer<typeof RequestSchema>[],
  paceMs = 0,
) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const r = requests[i % requests.length]!;
    const t0 = performance.now();
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ socketPath, method: r.method, path: r.path, headers: r.headers, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(r.body);
      });
      latencies.push(performance.now() - t0);
      if (status < 200 || status > 299) non2xx++;
      const rest = paceMs - (performance.now() - t0);
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    } catch {
      errors++;
    }
  }
  agent.destroy();
  const total = latencies.length;
  return {
    rps: total / ((performance.now() - started) / 1000),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    total,
    non2xx,
    errors,
    timeouts: 0,
    statusClasses: {},
  } satisfies LoadResult;
}

async function flood(job: Extract<Job, { kind: 'flood' }>): Promise<FloodResult> {
  const floodRun = job.flood
    ? load({
        socketPath: job.socketPath,
        connections: job.floodConnections,
        durationSeconds: job.seconds,
        requests: job.flood,
      })
    : Promise.resolve(null);
  const victim = timedOneByOne(job.socketPath, job.seconds, job.victim, job.victimPaceMs);
  const [f, v] = await Promise.all([floodRun, victim]);
  return { victim: v, flood: f };
}

async function run(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'load':
      return load({
        socketPath: job.socketPath,
        connections: job.connections,
        durationSeconds: job.seconds,
        requests: job.requests,
      });
    case 'approval':
      return approvals(job);
    case 'flood':
      return flood(job);
  }
}

const rl = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of rl) {
  if (line.trim() === '') continue;
  try {
    const result = await run(JobSchema.parse(JSON.parse(line)));
    process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(err) })}\n`);
  }
}
