// Start-up cost as the log and the state grow, and full verification speed.
//
//   npm run build && node --import tsx bench/evidence-startup.ts [--sizes 0,100000,1000000] [--runs 3]
//     [--bin OTHER/bin/mailwarden.mjs --verify-module OTHER/sidecar/evidence/index.ts]   (another checkout)
//
// For each size N it makes a real setup (`mailwarden init`, fake gog), fills its evidence log with N records and
// its state.db with N proposal rows, then times the real `mailwarden serve` from spawn to its ready line and reads
// its peak RSS (VmHWM) from /proc at that moment and again a few seconds later, once the background integrity
// check of a large state has run; median of the runs. The time includes Node's own boot, so the row for N = 0 is
// the baseline the others are held against. Then the largest log is verified three ways: in process on one
// thread (parallel: false), in process with worker threads (the default), and by the real
// `mailwarden evidence verify` command (process start included).
//
// The log is generated in the writer's exact format (bench/evidence-log.ts) and must verify intact.
import { execFile, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import Database from 'better-sqlite3';
import { verifyEvidence } from '../sidecar/evidence/index.ts';
import { BIN, initSetup } from '../test/support/sidecar.ts';
import { evidenceKey, generateLog, id, SPACING_MS } from './evidence-log.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '0,100000,1000000' },
    runs: { type: 'string', default: '3' },
    'verify-module': { type: 'string' },
    /** Another checkout's bin/mailwarden.mjs (with its bundle built) for a before/after on the same harness. */
    bin: { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const bin = values.bin ?? BIN;
/** Proposals still waiting at start (reconciled against evidence); the rest are executed. */
const OPEN_ROWS = 20;
/** How long after the ready line the peak RSS is read again (the integrity check of 1M rows takes about 2 s). */
const SETTLE_MS = 5000;

function fillState(file: string, n: number, start: number): number {
  const t0 = performance.now();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('DELETE FROM proposals');
  const insert = db.prepare(`INSERT INTO proposals (id, principal, action, status, canonical, hash, decision,
    policy_digest, correlation_id, session_id, created_at, updated_at, expires_at, exec_state, result)
    VALUES (?, 'agent:bench', 'gmail.send', ?, '{}', ?, '{"effect":"approve","rules":[]}', 'sha256:bench', ?, NULL, ?, ?, ?, ?, ?)`);
  const fill = db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const open = i >= n - OPEN_ROWS;
      const at = new Date(start + i * SPACING_MS).toISOString();
      insert.run(
        id(i),
        open ? 'pending_approval' : 'executed',
        `sha256:${String(i).padStart(64, '0')}`,
        `c-${i}`,
        at,
        at,
        open ? new Date(Date.now() + 3600_000).toISOString() : null,
        open ? 'none' : 'done',
        open ? null : '{"id":"m"}',
      );
    }
  });
  fill();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return performance.now() - t0;
}

function peakRss(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Spawn `mailwarden serve`, time it to the ready line, read its peak RSS then and once settled, stop it. */
async function startOnce(config: string): Promise<{ ms: number; rssMb: number; settledRssMb: number; log: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', '--config', config, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const ms = await new Promise<number>((res, rej) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) res(performance.now() - t0);
    });
    child.once('exit', (code) => rej(new Error(`serve exited with ${code}: ${err}`)));
  });
  const rssMb = peakRss(child.pid);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const settledRssMb = peakRss(child.pid);
  child.kill('SIGTERM');
  await exited;
  return { ms, rssMb, settledRssMb, log: err };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const { dir, init } = await initSetup('full');
try {
  // One start creates state.db with every migration.
  await startOnce(init.config);
  const key = evidenceKey(init.config);
  const evidenceDir = join(dir, 'evidence');
  const stateFile = join(dir, 'state', 'state.db');
  console.log(
    `evidence start-up bench (node ${process.version}; load average ${loadavg()[0]!.toFixed(1)})${values.bin ? ` with ${bin}` : ''}`,
  );
  // What the machine gives any Node process right now: the floor under every start-up below.
  const bare: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await promisify(execFile)(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t0);
  }
  console.log(`node -e 0: ${fmt(median(bare))} ms (median of 5)`);
  console.log(
    `${'records = rows'.padEnd(16)} ${'generate'.padStart(10)} ${'start-up'.padStart(10)} ${'× N=0'.padStart(7)} ${'RSS ready'.padStart(10)} ${`+${SETTLE_MS / 1000} s`.padStart(8)}`,
  );
  let baseline = 0;
  for (const n of sizes) {
    const start = Date.now() - n * SPACING_MS - 60_000;
    const genMs = (await generateLog(evidenceDir, n, key, start)) + fillState(stateFile, n, start);
    const samples: Awaited<ReturnType<typeof startOnce>>[] = [];
    for (let r = 0; r < runs; r++) {
      // Each start appends a few records; the log is regenerated so every run starts from the same N.
      if (r > 0) await generateLog(evidenceDir, n, key, start);
      samples.push(await startOnce(init.config));
    }
    if (samples.some((s) => s.log.includes('EVIDENCE GAP'))) throw new Error('the generated state and log disagree');
    const ms = median(samples.map((s) => s.ms));
    const rss = median(samples.map((s) => s.rssMb));
    const settled = median(samples.map((s) => s.settledRssMb));
    if (n === 0) baseline = ms;
    const ratio = baseline > 0 ? (ms / baseline).toFixed(2) : '-';
    const met = ms <= 500 && Math.max(rss, settled) <= 150;
    const note = n >= 1_000_000 ? `  target ≤ 500 ms, ≤ 150 MB: ${met ? 'met' : 'NOT met'}` : '';
    console.log(
      `${fmt(n).padEnd(16)} ${`${fmt(genMs)} ms`.padStart(10)} ${`${fmt(ms)} ms`.padStart(10)} ${ratio.padStart(7)} ${`${rss.toFixed(0)} MB`.padStart(10)} ${`${settled.toFixed(0)} MB`.padStart(8)}${note}`,
    );
    console.log(`  samples: ${samples.map((x) => `${fmt(x.ms)} ms`).join(', ')}`);
  }

  // Full verification of the largest log (regenerated so it is exactly N records).
  const n = Math.max(...sizes);
  await generateLog(evidenceDir, n, key, Date.now() - n * SPACING_MS);
  const mod = values['verify-module'];
  const verify = (mod ? (await import(mod)).verifyEvidence : verifyEvidence) as typeof verifyEvidence;
  const publicKey = createPublicKey(key);
  const target = (perSecond: number) => `target ≥ 200,000/s: ${perSecond >= 200_000 ? 'met' : 'NOT met'}`;
  console.log(`verify ${fmt(n)} records${mod ? ` (${mod})` : ''} (load average ${loadavg()[0]!.toFixed(1)}):`);
  for (const [what, parallel] of [
    ['in process, one thread', false],
    ['in process, worker threads', undefined],
  ] as const) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await verify({ dir: evidenceDir, publicKey, ...(parallel === false ? { parallel } : {}) });
    const wall = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    if (report.verdict !== 'intact') throw new Error(`the generated log did not verify: ${JSON.stringify(report)}`);
    // Worker threads' CPU time counts in process.cpuUsage() too.
    const cpuS = (used.user + used.system) / 1e6;
    console.log(
      `  ${what.padEnd(28)} ${`${fmt(n / wall)} records/s`.padStart(18)} wall clock, ${fmt(n / cpuS)} per CPU-second; ${target(n / wall)}`,
    );
  }
  const t0 = performance.now();
  const cli = await promisify(execFile)(process.execPath, [bin, 'evidence', 'verify', '--config', init.config], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const wall = (performance.now() - t0) / 1000;
  if (!cli.stdout.includes('INTACT')) throw new Error(`evidence verify: ${cli.stdout}${cli.stderr}`);
  console.log(
    `  ${'mailwarden evidence verify'.padEnd(28)} ${`${fmt(n / wall)} records/s`.padStart(18)} wall clock (${wall.toFixed(2)} s incl. start-up); ${target(n / wall)}`,
  );
} finally {
  // EVIDENCE_BENCH_KEEP=1 leaves the setup for a closer look (e.g. serve --cpu-prof).
  if (process.env['EVIDENCE_BENCH_KEEP']) console.log(`setup kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
