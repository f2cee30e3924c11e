// The shipped `mailwarden serve` under load, against a bare Hono route in the same run: denied sends, executed
// reads, approval round trips, a flood beside another agent, and throughput as the stored state grows.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { generateAgentKey, hashAgentKey } from '../sidecar/auth/index.ts';
import { REPO_ROOT } from '../test/support/sidecar.ts';
import type { LoadRequest, LoadResult } from './autocannon.ts';
import type { ReadyChild } from './child.ts';
import type { ApprovalResult, FloodResult } from './client.ts';
import { evidenceKey, generateLog, SPACING_MS } from './evidence-log.ts';
import { cpuSeconds, type LoadClient, spawnPinned } from './pinned.ts';
import { nowMs, sleep } from './stats.ts';
import { fmtInt, fmtMs, type Row } from './table.ts';

const run = promisify(execFile);
export const CONCURRENCY = [1, 8, 32] as const;

export interface GovernedOptions {
  readonly client: LoadClient;
  /** The `bin/mailwarden.mjs` to measure (another checkout's, for a before/after comparison). */
  readonly bin: string;
  readonly seconds: number;
  readonly reps: number;
  readonly scale: readonly number[];
  readonly progress: (msg: string) => void;
}

interface Measured {
  readonly rps: number;
  readonly p99Ms: number;
  readonly faults: number;
  readonly total: number;
  /** Server CPU milliseconds per completed request. */
  readonly cpuMsPerReq: number | null;
}

const SEND = JSON.stringify({
  action: 'gmail.send',
  params: { to: ['sam@example.com'], subject: 'Hello', body: 'A short note.' },
});
const SEARCH = JSON.stringify({ action: 'gmail.search', params: { query: 'subject:offsite' } });
/** Refused at validation (a display name where an address belongs), each refusal evidenced. */
const INVALID = JSON.stringify({
  action: 'gmail.send',
  params: { to: ['Sam <sam@example.com>'], subject: 'Hello', body: 'A short note.' },
});

interface Setup {
  readonly dir: string;
  readonly config: string;
  readonly agentSocket: string;
  readonly operatorSocket: string;
  readonly agentKey: string;
  readonly approverKey: string;
  readonly victimKey: string;
  /** A third agent, never locked: it floods proposals that fail validation. */
  readonly invalidKey: string;
}

async function setup(bin: string, profile: string, edit: (cfg: Record<string, unknown>, dir: string) => void) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-'));
  const r = await run(process.execPath, [
    bin,
    'init',
    '--dir',
    dir,
    '--backend',
    'fake',
    '--profile',
    profile,
    '--json',
  ]);
  const init = z
    .object({
      config: z.string(),
      agentSocket: z.string(),
      operatorSocket: z.string(),
      agentKey: z.string(),
      approverKey: z.string(),
    })
    .parse(JSON.parse(r.stdout));
  const cfg = parse(readFileSync(init.config, 'utf8')) as Record<string, unknown>;
  // The limiter allows at most 1,000,000 requests a minute per agent (the schema's maximum): raised as far as
  // the config allows, so it measures the pipeline, not the limiter.
  cfg.limits = { ...(cfg.limits as object), requestsPerMinute: 1_000_000 };
  cfg.log = { level: 'warn' };
  const victimKey = generateAgentKey();
  const invalidKey = generateAgentKey();
  cfg.agents = [
    ...(cfg.agents as object[]),
    { id: 'victim-agent', keyHash: hashAgentKey(victimKey) },
    { id: 'invalid-agent', keyHash: hashAgentKey(invalidKey) },
  ];
  edit(cfg, dir);
  writeFileSync(init.config, stringify(cfg), { mode: 0o600 });
  return { dir, ...init, victimKey, invalidKey } satisfies Setup;
}

function serve(bin: string, s: Setup): Promise<ReadyChild> {
  return spawnPinned([process.execPath, bin, 'serve', '--config', s.config, '--json'], { timeoutMs: 120_000 });
}

async function measure(
  client: LoadClient,
  pid: number | undefined,
  socketPath: string,
  connections: number,
  seconds: number,
  requests: LoadRequest[],
): Promise<Measured> {
  const c0 = cpuSeconds(pid);
  const r = await client.run<LoadResult>({ kind: 'load', socketPath, connections, seconds, requests });
  const c1 = cpuSeconds(pid);
  const faults = r.errors + r.timeouts + (r.statusClasses['5xx'] ?? 0);
  return {
    rps: r.rps,
    p99Ms: r.p99Ms,
    faults,
    total: r.total,
    cpuMsPerReq: c0 === null || c1 === null || r.total === 0 ? null : ((c1 - c0) * 1000) / r.total,
  };
}

/** Runs `reps` times and keeps the run with the median throughput. */
async function medianOf(reps: number, once: () => Promise<Measured>): Promise<Measured> {
  const runs: Measured[] = [];
  for (let i = 0; i < reps; i++) runs.push(await once());
  runs.sort((a, b) => a.rps - b.rps);
  return runs[Math.floor((runs.length - 1) / 2)]!;
}

const fmtCpu = (m: Measured) => (m.cpuMsPerReq === null ? 'n/a' : `${(m.cpuMsPerReq * 1000).toFixed(0)} µs`);
const fmtRun = (m: Measured) =>
  `${fmtInt(m.rps)} req/s, p99 ${fmtMs(m.p99Ms)}, CPU ${fmtCpu(m)}/req${m.faults ? `, ${m.faults} errors` : ''}`;

export interface GovernedResult {
  readonly rows: Row[];
  readonly notes: string[];
}

/** Waits (at most 60 s) until the server has used under 5 % of a core for half a second. */
async function settle(pid: number | undefined): Promise<void> {
  const until = nowMs() + 60_000;
  while (nowMs() < until) {
    const before = cpuSeconds(pid);
    await sleep(500);
    const after = cpuSeconds(pid);
    if (before === null || after === null || after - before < 0.025) return;
  }
}

export async function benchGoverned(o: GovernedOptions): Promise<GovernedResult> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const { client } = o;

  // The baseline: a bare Hono route on a unix socket, pinned like the sidecar. Then the same route with only the
  // durable writes every proposal keeps (bench/http-server.ts, "floor"): what no governed answer can undercut.
  const baseline = async (mode: 'bare' | 'floor', label: string) => {
    o.progress(label);
    const server = await spawnPinned([
      process.execPath,
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'http-server.ts'),
      mode,
    ]);
    const measured = new Map<number, Measured>();
    try {
      const ready = z.object({ socket: z.string() }).parse(JSON.parse(server.line));
      const req: LoadRequest[] = [{ method: 'POST', path: '/v1/proposals', body: SEND }];
      await measure(client, server.child.pid, ready.socket, 8, 1, req);
      for (const c of CONCURRENCY) {
        measured.set(
          c,
          await medianOf(o.reps, () => measure(client, server.child.pid, ready.socket, c, o.seconds, req)),
        );
      }
    } finally {
      await server.stop();
    }
    return measured;
  };
  const bare = await baseline('bare', 'bare Hono route');
  for (const c of CONCURRENCY) {
    rows.push({
      measurement: `bare Hono route, ${c} conn`,
      measured: fmtRun(bare.get(c)!),
      baseline: '',
      ratio: null,
      target: '',
      met: null,
    });
  }
  const ratioRow = (label: string, c: number, m: Measured, targeted: boolean): Row => {
    const b = bare.get(c)!;
    const ratio = m.rps / b.rps;
    return {
      measurement: `${label}, ${c} conn`,
      measured: fmtRun(m),
      baseline: `${fmtInt(b.rps)} req/s bare`,
      ratio,
      target: targeted ? (c === 32 ? '≥ 0.50× bare' : '') : '',
      met: targeted && c === 32 ? ratio >= 0.5 && m.faults === 0 : null,
    };
  };

  const floor = await baseline('floor', 'durable floor (bare route + one evidence record + one state row)');
  for (const c of CONCURRENCY) {
    const label = 'diagnostic: the bare route + one durable evidence record + one proposal row, nothing else';
    rows.push(ratioRow(label, c, floor.get(c)!, false));
  }

  // The shipped draft_assist sidecar.
  const s = await setup(o.bin, 'draft_assist', () => undefined);
  let server = await serve(o.bin, s);
  const auth = { authorization: `Bearer ${s.agentKey}` };
  const sendReq: LoadRequest[] = [{ method: 'POST', path: '/v1/proposals', headers: auth, body: SEND }];
  try {
    o.progress('denied send on the shipped config');
    // Warm-up; after 10 denials the agent is locked down, as shipped, and stays so for the whole row.
    await measure(client, server.child.pid, s.agentSocket, 8, 1, sendReq);
    for (const c of CONCURRENCY) {
      const m = await medianOf(o.reps, () => measure(client, server.child.pid, s.agentSocket, c, o.seconds, sendReq));
      rows.push(ratioRow('denied send (shipped draft_assist; the agent is locked after 10 denials)', c, m, true));
    }

    o.progress('executed read through the fake gog');
    const readReq: LoadRequest[] = [
      { method: 'POST', path: '/v1/proposals', headers: { authorization: `Bearer ${s.victimKey}` }, body: SEARCH },
    ];
    await measure(client, server.child.pid, s.agentSocket, 4, 1, readReq);
    for (const c of CONCURRENCY) {
      const m = await medianOf(o.reps, () => measure(client, server.child.pid, s.agentSocket, c, o.seconds, readReq));
      rows.push(ratioRow('executed read (gmail.search, spawns the fake gog)', c, m, false));
    }

    o.progress("another agent's p99 beside a flood");
    const victim: LoadRequest[] = [
      { method: 'GET', path: '/v1/catalog', headers: { authorization: `Bearer ${s.victimKey}` } },
    ];
    const floods: [string, LoadRequest[] | null][] = [
      ['alone', null],
      ['while one agent floods denied sends (16 conn)', sendReq],
      [
        'while an agent that is not locked floods invalid proposals (16 conn)',
        [
          {
            method: 'POST',
            path: '/v1/proposals',
            headers: { authorization: `Bearer ${s.invalidKey}` },
            body: INVALID,
          },
        ],
      ],
      [
        'while a client floods failed authentications (16 conn)',
        [{ method: 'POST', path: '/v1/proposals', headers: { authorization: 'Bearer mw_wrong_key' }, body: SEND }],
      ],
    ];
    let alone = 0;
    // The executed-read rows leave gog calls queued in the sidecar after their clients stop; measuring "alone"
    // while those drain would make the baseline slow and every ratio against it look good.
    await settle(server.child.pid);
    await measure(client, server.child.pid, s.agentSocket, 1, 1, victim);
    for (const [label, flood] of floods) {
      const r = await client.run<FloodResult>({
        kind: 'flood',
        socketPath: s.agentSocket,
        seconds: o.seconds,
        flood,
        floodConnections: 16,
        victim,
      });
      if (flood === null) alone = r.victim.p99Ms;
      // Both timed to the microsecond (bench/client.ts), so no floor is needed against a 0 ms reading.
      const ratio = flood === null ? null : r.victim.p99Ms / alone;
      rows.push({
        measurement: `another agent's GET /v1/catalog, ${label}`,
        measured: `p99 ${fmtMs(r.victim.p99Ms)}, ${fmtInt(r.victim.rps)} req/s${r.flood ? `; flood ${fmtInt(r.flood.rps)} req/s` : ''}`,
        baseline: flood === null ? '' : `p99 ${fmtMs(alone)} alone`,
        ratio,
        target: flood === null ? '' : 'p99 ≤ 2× alone',
        met: ratio === null ? null : ratio <= 2,
      });
    }

    // The same two agents on the rate limit `mailwarden init` ships (600 a minute per agent): the flooding agent
    // is mostly answered 429, and the other agent, paced under the limit, must not notice.
    o.progress("another agent's p99 beside a flood at the shipped rate limit");
    {
      const shipped = await setup(o.bin, 'draft_assist', (cfg) => {
        const { requestsPerMinute: _raised, ...limits } = cfg.limits as Record<string, unknown>;
        cfg.limits = limits;
      });
      const shippedServer = await serve(o.bin, shipped);
      try {
        const paced = [
          { method: 'GET' as const, path: '/v1/catalog', headers: { authorization: `Bearer ${shipped.victimKey}` } },
        ];
        const sends: LoadRequest[] = [
          {
            method: 'POST',
            path: '/v1/proposals',
            headers: { authorization: `Bearer ${shipped.agentKey}` },
            body: SEND,
          },
        ];
        let pacedAlone = 0;
        for (const flood of [null, sends]) {
          const seconds = Math.max(o.seconds, 15);
          const r = await client.run<FloodResult>({
            kind: 'flood',
            socketPath: shipped.agentSocket,
            seconds,
            flood,
            floodConnections: 16,
            victim: paced,
            victimPaceMs: 125,
          });
          if (flood === null) pacedAlone = r.victim.p99Ms;
          const ratio = flood === null ? null : r.victim.p99Ms / pacedAlone;
          rows.push({
            measurement: `another agent's GET /v1/catalog at 8/s, shipped rate limit, ${flood === null ? 'alone' : 'while one agent floods sends (16 conn)'}`,
            measured: `p99 ${fmtMs(r.victim.p99Ms)}, p50 ${fmtMs(r.victim.p50Ms)}${r.flood ? `; flood ${fmtInt(r.flood.rps)} answers/s, ${fmtInt(r.flood.statusClasses['4xx'] ?? 0)} 4xx` : ''}`,
            baseline: flood === null ? '' : `p99 ${fmtMs(pacedAlone)} alone`,
            ratio,
            target: flood === null ? '' : 'p99 ≤ 2× alone',
            met: ratio === null ? null : ratio <= 2,
          });
        }
      } finally {
        await shippedServer.stop();
      }
    }

    // Throughput as the stored state grows: proposals, denials and taint fingerprints seeded straight into
    // state.db while the sidecar is stopped, and the evidence log replaced by one of exactly N records.
    let seeded = 0;
    const key = evidenceKey(s.config);
    for (const n of o.scale) {
      await server.stop();
      if (n > seeded) {
        o.progress(`seeding state.db to ${fmtInt(n)} rows per table`);
        const t0 = performance.now();
        seed(join(s.dir, 'state', 'state.db'), seeded, n);
        notes.push(`seeded ${fmtInt(n - seeded)} rows per table in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        seeded = n;
      }
      o.progress(`generating an evidence log of ${fmtInt(n)} records`);
      await generateLog(join(s.dir, 'evidence'), n, key, Date.now() - n * SPACING_MS - 60_000);
      server = await serve(o.bin, s);
      // A state.db over 16 MiB gets its integrity check in a thread beside the sidecar once it listens (seconds
      // at 1M rows, on the server's one core): a start-up cost, not a per-request one, so it is waited out.
      await settle(server.child.pid);
      o.progress(`denied send with ${fmtInt(n)} stored rows per table and evidence records`);
      const req: LoadRequest[] = [
        { method: 'POST', path: '/v1/proposals', headers: { authorization: `Bearer ${s.agentKey}` }, body: SEND },
      ];
      await measure(client, server.child.pid, s.agentSocket, 8, 1, req);
      const m = await medianOf(o.reps, () => measure(client, server.child.pid, s.agentSocket, 8, o.seconds, req));
      rows.push({
        measurement: `denied send, 8 conn, ${fmtInt(n)} stored proposals + denials + taint fingerprints + evidence records`,
        measured: fmtRun(m),
        baseline: `${fmtInt(bare.get(8)!.rps)} req/s bare`,
        ratio: m.rps / bare.get(8)!.rps,
        target: '',
        met: null,
      });
    }
  } finally {
    await server.stop();
  }

  // Approval round trips on the shipped `full` profile: submit a send (202), sign, decide, gog sends it.
  o.progress('approval round trips (full profile)');
  // Send caps raised as far as the policy schema allows, so the row measures round trips, not the cap.
  const f = await setup(o.bin, 'full', (_cfg, dir) => {
    const file = join(dir, 'policy.yaml');
    const policy = parse(readFileSync(file, 'utf8')) as { outbound: Record<string, unknown> };
    policy.outbound.caps = { perHour: 100_000, perDay: 1_000_000 };
    writeFileSync(file, stringify(policy), { mode: 0o600 });
  });
  const full = await serve(o.bin, f);
  try {
    for (const c of CONCURRENCY) {
      const runs: ApprovalResult[] = [];
      for (let i = 0; i < o.reps; i++) {
        runs.push(
          await client.run<ApprovalResult>({
            kind: 'approval',
            agentSocket: f.agentSocket,
            operatorSocket: f.operatorSocket,
            agentKey: f.agentKey,
            approverKeyFile: f.approverKey,
            approver: 'owner',
            connections: c,
            seconds: o.seconds,
          }),
        );
      }
      runs.sort((a, b) => a.rps - b.rps);
      const m = runs[Math.floor((runs.length - 1) / 2)]!;
      rows.push({
        measurement: `approval round trip (submit, sign, decide, gog send), ${c} conn`,
        measured: `${fmtInt(m.rps)} round trips/s, p50 ${fmtMs(m.p50Ms)}, p99 ${fmtMs(m.p99Ms)}${m.failures ? `, ${m.failures} failed` : ''}`,
        baseline: '',
        ratio: null,
        target: '',
        met: null,
      });
    }
  } finally {
    await full.stop();
  }
  return { rows, notes };
}

/** Adds rows (from `from` to `to`) to proposals, denials and taint fingerprints, copying a stored proposal. */
function seed(file: string, from: number, to: number): void {
  const db = new Database(file);
  try {
    // Bench set-up only: the seeded rows need no crash safety.
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const template = db.prepare('SELECT * FROM proposals LIMIT 1').get() as Record<string, unknown> | undefined;
    if (!template) throw new Error('no proposal to copy in the bench state');
    const cols = Object.keys(template);
    const insertProposal = db.prepare(
      `INSERT INTO proposals (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
    );
    const insertDenial = db.prepare('INSERT INTO denials (principal, at) VALUES (?, ?)');
    const hasItems =
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'principal_taint_items'").get() !== undefined;
    const insertItem = hasItems
      ? db.prepare("INSERT INTO principal_taint_items (principal, kind, value) VALUES (?, 'shingle', ?)")
      : null;
    const at = new Date().toISOString();
    db.transaction(() => {
      for (let i = from; i < to; i++) {
        insertProposal.run({ ...template, id: `seed-${i}`, principal: `seed-${i % 1000}` });
        insertDenial.run(`seed-${i % 1000}`, at);
        insertItem?.run(`seed-${i % 1000}`, `${i.toString(16).padStart(24, '0')}`);
      }
    })();
    if (!hasItems) {
      // The older layout: one JSON row per principal holding all its fingerprints.
      const put = db.prepare('INSERT OR REPLACE INTO principal_taint (principal, taint, updated_at) VALUES (?, ?, ?)');
      db.transaction(() => {
        for (let p = 0; p < 1000; p++) {
          const shingles = Array.from({ length: Math.min(50_000, Math.ceil(to / 1000)) }, (_, k) =>
            (k * 1000 + p).toString(16).padStart(24, '0'),
          );
          put.run(`seed-${p}`, JSON.stringify({ readExternal: true, readCodes: [], readShingles: shingles }), at);
        }
      })();
    }
  } finally {
    db.close();
  }
}
