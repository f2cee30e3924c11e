// Benchmarks against the real sidecar process: start-up to socket ready, exec overhead over direct gog, peak RSS.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { call } from '../test/support/http.ts';
import { BIN, initSetup, removeSetup } from '../test/support/sidecar.ts';
import { load } from './autocannon.ts';
import { peakRssMiB, type ReadyChild, spawnUntilReady } from './child.ts';
import { median, nowMs } from './stats.ts';

export interface SidecarBench {
  /** `mailwarden serve` as installed: the prebuilt bundle (scripts/build.mjs), as long as it is up to date. */
  readonly startupMs: { readonly median: number; readonly samples: readonly number[] };
  /** The same start-up from the TypeScript sources through tsx (an edited checkout, or no bundle built). */
  readonly sourceStartupMs: number | null;
  /** Resident set size right after a start-up from the sources: what tsx itself adds. */
  readonly sourceIdleRssMiB: number | null;
  readonly bareNodeMs: number;
  readonly tsxNodeMs: number;
  readonly exec: { readonly governedMs: number; readonly directMs: number; readonly calls: number };
  readonly load: { readonly rps: number; readonly non2xx: number; readonly fiveXx: number; readonly errors: number };
  readonly peakRssMiB: number | null;
  readonly idleRssMiB: number | null;
}

const CallSchema = z.object({ argv: z.array(z.string()) });
const SEARCH = { action: 'gmail.search', params: { query: 'subject:offsite' } };

function timeExit(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = nowMs();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(nowMs() - t0) : reject(new Error(`${command} exited with ${code}`)),
    );
  });
}

function serve(config: string, bin = BIN, env: NodeJS.ProcessEnv = {}): Promise<ReadyChild> {
  return spawnUntilReady(process.execPath, [bin, 'serve', '--config', config, '--json'], { env });
}

/** The last argv the fake gog recorded: exactly what the sidecar ran. */
function lastGogArgv(gogHome: string): string[] {
  const lines = readFileSync(join(gogHome, 'fake-calls.jsonl'), 'utf8').trim().split('\n');
  return CallSchema.parse(JSON.parse(lines.at(-1)!)).argv;
}

/** The environment the executor gives gog (its home as HOME, a fixed locale and zone, a plain PATH). */
function gogEnvironment(gogHome: string): NodeJS.ProcessEnv {
  return {
    GOG_HOME: gogHome,
    HOME: gogHome,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
  };
}

/**
 * Exec overhead: the same gmail.search through the sidecar and straight to `binary` with the argv the sidecar
 * gave it, interleaved, `calls` times each after one warm-up of each; medians.
 */
async function governedAgainstDirect(
  init: { agentSocket: string; agentKey: string },
  direct: { binary: string; argv: readonly string[]; env: NodeJS.ProcessEnv },
  calls: number,
): Promise<{ governedMs: number; directMs: number; calls: number }> {
  const search = () => call(init.agentSocket, 'POST', '/v1/proposals', { key: init.agentKey, body: SEARCH });
  await timeExit(direct.binary, direct.argv, direct.env);
  const governed: number[] = [];
  const straight: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = nowMs();
    const r = await search();
    if (r.status !== 200) throw new Error(`governed search answered ${r.status}: ${r.text}`);
    governed.push(nowMs() - t0);
    straight.push(await timeExit(direct.binary, direct.argv, direct.env));
  }
  return { governedMs: median(governed), directMs: median(straight), calls };
}

export async function benchSidecar(opts: { startups: number; execCalls: number; loadSeconds: number; bin?: string }) {
  const bin = opts.bin ?? BIN;
  const { dir, init } = await initSetup('draft_assist');
  try {
    const cfg = parse(readFileSync(init.config, 'utf8')) as Record<string, unknown>;
    // The rate limiter is a product feature, not what this measures.
    cfg.limits = { requestsPerMinute: 1_000_000 };
    cfg.log = { level: 'warn' };
    writeFileSync(init.config, stringify(cfg), { mode: 0o600 });
    const gogHome = join(dir, 'gog-home');
    const gogBinary = String((cfg.gog as Record<string, unknown>).binary);

    // Start-up: spawn to the "ready" line, printed only after both sockets listen.
    const startups: number[] = [];
    for (let i = 0; i < opts.startups; i++) {
      const s = await serve(init.config, bin);
      startups.push(s.readyMs);
      await s.stop();
    }
    const fromSource: number[] = [];
    const sourceRss: number[] = [];
    for (let i = 0; i < opts.startups; i++) {
      const b = await serve(init.config, bin, { MAILWARDEN_FROM_SOURCE: '1' });
      fromSource.push(b.readyMs);
      const rss = peakRssMiB(b.child.pid);
      if (rss !== null) sourceRss.push(rss);
      await b.stop();
    }
    // Sequential, so the baselines do not compete with each other for the CPU.
    const bareNode: number[] = [];
    const tsxNode: number[] = [];
    for (let i = 0; i < 3; i++) {
      bareNode.push(await timeExit(process.execPath, ['-e', '0'], process.env));
      tsxNode.push(await timeExit(process.execPath, ['--import', 'tsx', '-e', '0'], process.env));
    }
    const bareNodeMs = median(bareNode);
    const tsxNodeMs = median(tsxNode);

    const s = await serve(init.config, bin);
    try {
      const idleRssMiB = peakRssMiB(s.child.pid);
      // Exec overhead: the same search through the sidecar and straight to gog, interleaved.
      const first = await call(init.agentSocket, 'POST', '/v1/proposals', { key: init.agentKey, body: SEARCH });
      if (first.status !== 200) throw new Error(`governed search answered ${first.status}: ${first.text}`);
      const exec = await governedAgainstDirect(
        init,
        { binary: gogBinary, argv: lastGogArgv(gogHome), env: gogEnvironment(gogHome) },
        opts.execCalls,
      );

      // Peak RSS under a mixed load: health, catalogue, denied sends and reads that spawn gog.
      const auth = { authorization: `Bearer ${init.agentKey}` };
      const result = await load({
        socketPath: init.agentSocket,
        connections: 8,
        durationSeconds: opts.loadSeconds,
        requests: [
          { method: 'GET', path: '/v1/health' },
          { method: 'GET', path: '/v1/catalog', headers: auth },
          {
            method: 'POST',
            path: '/v1/proposals',
            headers: auth,
            body: JSON.stringify({
              action: 'gmail.send',
              params: { to: ['sam@example.com'], subject: 'x', body: 'y' },
            }),
          },
          { method: 'POST', path: '/v1/proposals', headers: auth, body: JSON.stringify(SEARCH) },
        ],
      });
      return {
        startupMs: { median: median(startups), samples: startups },
        sourceStartupMs: fromSource.length > 0 ? median(fromSource) : null,
        sourceIdleRssMiB: sourceRss.length > 0 ? median(sourceRss) : null,
        bareNodeMs,
        tsxNodeMs,
        exec,
        load: {
          rps: result.rps,
          non2xx: result.non2xx,
          fiveXx: result.statusClasses['5xx'] ?? 0,
          errors: result.errors,
        },
        peakRssMiB: peakRssMiB(s.child.pid),
        idleRssMiB,
      } satisfies SidecarBench;
    } finally {
      await s.stop();
    }
  } finally {
    removeSetup({ dir });
  }
}

/**
 * The same exec overhead through the real gog (built by scripts/install-gog.sh), talking to the Google API
 * emulator: `mailwarden serve` on the shipped draft_assist config with gog.binary a wrapper that points the real gog
 * at the emulator and notes its argv, against that wrapper spawned directly with the argv the sidecar used.
 * Null, with the reason, when the real gog is not installed.
 */
export async function benchRealGogExec(opts: { calls: number; bin?: string }) {
  const { findRealGog } = await import('../test/support/real-gog.ts');
  const real = findRealGog();
  if (!real.ok) return { skipped: real.why } as const;
  const { startEmulator } = await import('../fixtures/google-emulator/server.mjs');
  const { conformanceMailbox } = await import('../test/support/gog-backends.ts');
  const emulator = await startEmulator({ mailbox: conformanceMailbox() });
  const { dir, init } = await initSetup('draft_assist');
  try {
    const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
    const wrapper = join(dir, 'gog-via-emulator');
    const argvLog = join(dir, 'gog-argv');
    const exports = Object.entries(emulator.env).map(([k, v]) => `export ${k}=${q(v)}`);
    // One line per run, its arguments NUL-separated: the exact argv the sidecar gave gog.
    const note = `printf '%s\\0' "$@" >> ${q(argvLog)}; printf '\\n' >> ${q(argvLog)}`;
    writeFileSync(wrapper, `#!/bin/sh\n${exports.join('\n')}\n${note}\nexec ${q(real.gog.binary)} "$@"\n`, {
      mode: 0o755,
    });
    const cfg = parse(readFileSync(init.config, 'utf8')) as Record<string, Record<string, unknown>>;
    cfg.gog = { ...cfg.gog, backend: 'gog', binary: wrapper };
    cfg.log = { level: 'warn' };
    writeFileSync(init.config, stringify(cfg), { mode: 0o600 });
    const s = await serve(init.config, opts.bin ?? BIN);
    try {
      const first = await call(init.agentSocket, 'POST', '/v1/proposals', { key: init.agentKey, body: SEARCH });
      if (first.status !== 200) throw new Error(`governed search through the real gog answered ${first.status}`);
      const runs = readFileSync(argvLog, 'utf8').split('\n');
      const argv = runs
        .filter((l) => l.split('\0').includes('search'))
        .at(-1)
        ?.split('\0')
        .slice(0, -1);
      if (!argv) throw new Error('the sidecar never ran gog gmail search');
      const gogHome = join(dirname(init.config), String(cfg.gog.home));
      const exec = await governedAgainstDirect(
        init,
        { binary: wrapper, argv, env: gogEnvironment(gogHome) },
        opts.calls,
      );
      return { ...exec, version: real.gog.version };
    } finally {
      await s.stop();
    }
  } finally {
    await emulator.close();
    removeSetup({ dir });
  }
}
