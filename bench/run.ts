// `npm run bench`: the shipped sidecar's cost next to what runs without it, in one run, as a table of ratios.
//   --quick          shorter phases and one repetition: a smoke run, noisier numbers
//   --only a,b       run only these sections (see --list)
//   --bin DIR        measure the checkout in DIR (its bin/mailwarden.mjs and bench/hot-path.ts) with this
//                    harness, e.g. a worktree of an older commit for a before/after table
//   --list           print the sections and exit
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/support/sidecar.ts';
import { bundleHotPath, callgrindAvailable, callgrindHotPath } from './callgrind.ts';
import { benchEvidence } from './evidence.ts';
import { benchGoverned } from './governed.ts';
import { LoadClient, PINNING } from './pinned.ts';
import { benchPolicy } from './policy.ts';
import { benchRealGogExec, benchSidecar } from './sidecar.ts';
import { fmtInt, fmtMs, type Row, renderTable } from './table.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    bin: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});
const quick = values.quick === true;
const root = values.bin ? resolve(values.bin) : REPO_ROOT;
const bin = join(root, 'bin', 'mailwarden.mjs');
const started = performance.now();
const startLoad = loadavg()[0]!.toFixed(1);

function progress(msg: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${msg}\n`);
}

interface Section {
  readonly name: string;
  readonly what: string;
  run(ctx: { rows: Row[]; notes: string[] }): Promise<void>;
}

let client: LoadClient | null = null;
const loadClient = async () => {
  client ??= await LoadClient.start();
  return client;
};

/**
 * The sections, in order. Another benchmark joins the table by adding an entry here; scripts named
 * `bench/*.bench.ts` that no section runs are run as children at the end and their output is printed as is.
 */
const SECTIONS: Section[] = [
  {
    name: 'governed',
    what: 'shipped serve: denied send, executed read, flood, stored-state scale, approval round trips vs bare Hono',
    async run({ rows, notes }) {
      const r = await benchGoverned({
        client: await loadClient(),
        bin,
        seconds: quick ? 1 : 3,
        reps: quick ? 1 : 3,
        scale: quick ? [0, 100_000] : [0, 100_000, 1_000_000],
        progress,
      });
      rows.push(...r.rows);
      notes.push(...r.notes);
    },
  },
  {
    name: 'callgrind',
    what: 'instructions per request on the in-process hot path (valgrind callgrind), governed and bare',
    async run({ rows, notes }) {
      if (!callgrindAvailable()) {
        notes.push('callgrind: NOT RUN (valgrind and callgrind_control are needed)');
        return;
      }
      progress('callgrind: bundling the hot path');
      const bundle = await bundleHotPath(root);
      const { initSetup } = await import('../test/support/sidecar.ts');
      const { dir, init } = await initSetup('draft_assist');
      try {
        const requests = quick ? 50 : 200;
        progress('callgrind: bare route');
        const bare = await callgrindHotPath(bundle, { mode: 'bare', config: init.config, agentKey: '', requests });
        progress('callgrind: governed denied send');
        const gov = await callgrindHotPath(bundle, {
          mode: 'governed',
          config: init.config,
          agentKey: init.agentKey,
          requests,
        });
        rows.push({
          measurement: `instructions per denied send, in process incl. the HTTP client (callgrind, ${requests} requests)`,
          measured: `${fmtInt(gov.instructionsPerRequest)} Ir`,
          baseline: `${fmtInt(bare.instructionsPerRequest)} Ir bare`,
          ratio: bare.instructionsPerRequest / gov.instructionsPerRequest,
          target: '',
          met: null,
        });
      } finally {
        const { removeSetup } = await import('../test/support/sidecar.ts');
        removeSetup({ dir });
      }
    },
  },
  {
    name: 'sidecar',
    what: 'start-up to ready, exec overhead over a direct gog spawn (the fake gog, and the real one against the emulator), peak RSS under mixed load',
    async run({ rows, notes }) {
      const side = await benchSidecar({
        startups: quick ? 2 : 5,
        execCalls: quick ? 8 : 30,
        loadSeconds: quick ? 2 : 5,
        bin,
      });
      rows.push({
        measurement: `exec: governed gmail.search via fake gog (median of ${side.exec.calls})`,
        measured: fmtMs(side.exec.governedMs),
        baseline: `${fmtMs(side.exec.directMs)} direct gog`,
        ratio: side.exec.governedMs / side.exec.directMs,
        target: '≤ 1.15×',
        met: side.exec.governedMs / side.exec.directMs <= 1.15,
      });
      const realExec = await benchRealGogExec({ calls: quick ? 8 : 30, bin });
      if ('skipped' in realExec) notes.push(`exec through the real gog not measured: ${realExec.skipped}`);
      else {
        rows.push({
          measurement: `exec: governed gmail.search via the real gog ${realExec.version} against the Google API emulator (median of ${realExec.calls})`,
          measured: fmtMs(realExec.governedMs),
          baseline: `${fmtMs(realExec.directMs)} direct gog`,
          ratio: realExec.governedMs / realExec.directMs,
          target: '≤ 1.15×',
          met: realExec.governedMs / realExec.directMs <= 1.15,
        });
      }
      rows.push({
        measurement: 'start-up: spawn `mailwarden serve` to sockets ready (median)',
        measured: fmtMs(side.startupMs.median),
        baseline: `${fmtMs(side.bareNodeMs)} node -e 0`,
        ratio: side.startupMs.median / 500,
        target: '≤ 500 ms',
        met: side.startupMs.median <= 500,
      });
      const rss = side.peakRssMiB;
      rows.push({
        measurement: 'peak RSS of serve after mixed load, 8 conn (VmHWM)',
        measured: rss === null ? 'n/a' : `${rss.toFixed(0)} MiB`,
        baseline: side.idleRssMiB === null ? '' : `${side.idleRssMiB.toFixed(0)} MiB idle`,
        ratio: rss === null ? null : rss / 150,
        target: '≤ 150 MiB',
        met: rss === null ? null : rss <= 150,
      });
      notes.push(
        `mixed load on the real sidecar: ${fmtInt(side.load.rps)} req/s (${side.load.fiveXx} 5xx, ${side.load.errors} connection errors); start-up samples ${side.startupMs.samples.map((s) => fmtInt(s)).join(', ')} ms`,
      );
      if (side.sourceStartupMs !== null) {
        notes.push(
          `start-up from the TypeScript sources through tsx instead of the bundle: ${fmtMs(side.sourceStartupMs)}` +
            (side.sourceIdleRssMiB === null ? '' : `, ${side.sourceIdleRssMiB.toFixed(0)} MiB right after`),
        );
      }
    },
  },
  {
    name: 'policy',
    what: 'policy decisions in process',
    async run({ rows }) {
      const policy = benchPolicy(quick ? 300 : 1500);
      rows.push({
        measurement: 'policy decisions in-process',
        measured: `${fmtInt(policy.perSecond)}/s, p99 ${policy.p99Us.toFixed(2)} µs`,
        baseline: '20 µs budget',
        ratio: policy.p99Us / 20,
        target: 'p99 ≤ 20 µs',
        met: policy.p99Us <= 20,
      });
    },
  },
  {
    name: 'evidence',
    what: 'bench/evidence.bench.ts: durable appends and verify',
    async run({ rows, notes }) {
      const ev = await benchEvidence(150_000);
      rows.push({
        measurement: 'durable evidence appends, 64 callers (group commit)',
        measured: ev.appendsPerSecond === null ? 'n/a' : `${fmtInt(ev.appendsPerSecond)}/s`,
        baseline: '5,000/s target',
        ratio: ev.appendsPerSecond === null ? null : ev.appendsPerSecond / 5000,
        target: '≥ 5,000/s',
        met: ev.appendsPerSecond === null ? null : ev.appendsPerSecond >= 5000,
      });
      rows.push({
        measurement: 'evidence verify, wall clock',
        measured: ev.verifyPerSecond === null ? 'n/a' : `${fmtInt(ev.verifyPerSecond)} records/s`,
        baseline: '200,000/s target',
        ratio: ev.verifyPerSecond === null ? null : ev.verifyPerSecond / 200_000,
        target: '≥ 200,000 records/s',
        met: ev.verifyPerSecond === null ? null : ev.verifyPerSecond >= 200_000,
      });
      notes.push(`evidence bench output:\n${ev.output}`);
    },
  },
];

/** `bench/*.bench.ts` scripts no section runs: run each as a child, print its output verbatim. */
function extraScripts(): string[] {
  const dir = join(REPO_ROOT, 'bench');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts') && f !== 'evidence.bench.ts')
    .map((f) => join(dir, f));
}

function runScript(file: string): Promise<string> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res(`${out.trimEnd()}${code === 0 ? '' : `\n(exited with ${code})`}`);
    });
  });
}

async function main(): Promise<void> {
  if (values.list) {
    for (const s of SECTIONS) process.stdout.write(`${s.name.padEnd(10)} ${s.what}\n`);
    for (const f of extraScripts()) process.stdout.write(`${'(script)'.padEnd(10)} ${f}\n`);
    return;
  }
  const only = values.only ? new Set(values.only.split(',')) : null;
  if (!existsSync(bin)) throw new Error(`--bin: no ${bin}`);
  progress(
    `mailwarden bench on ${cpus().length} cpu(s), node ${process.version}; ${PINNING.note}${quick ? ' (quick)' : ''}`,
  );
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const s of SECTIONS) {
      if (only && !only.has(s.name)) continue;
      progress(`section ${s.name}`);
      await s.run({ rows, notes });
    }
  } finally {
    await client?.stop();
  }
  const extras: string[] = [];
  if (!only || only.has('scripts')) {
    for (const f of extraScripts()) {
      progress(`script ${f}`);
      extras.push(`${f}:\n${await runScript(f)}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `\nmailwarden bench — ${new Date().toISOString()}, ${cpus().length} cpu(s) ` +
      `(${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}, ${seconds.toFixed(0)} s, ` +
      `load average at start ${startLoad}; ${PINNING.note}; ${quick ? '1 run' : 'median of 3 runs'} per row` +
      `${values.bin ? `; measuring ${root}` : ''}\n\n`,
  );
  process.stdout.write(`${renderTable(rows)}\n\n`);
  for (const n of notes) process.stdout.write(`${n}\n`);
  for (const e of extras) process.stdout.write(`\n${e}\n`);
}

await main();
