// Spawns gog once: argv without a shell, an allowlisted env, stdin, a timeout and output caps.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { createSpawner, type SpawnOutcome } from './spawner.ts';
import type { GogConfig } from './types.ts';

/** How one gog run ended (only 'exited' carries a meaningful exit code), as the spawner reports it. */
export type ProcessResult = SpawnOutcome;

/** How long a process gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 1_000;

/**
 * SECURITY: the child's environment is built from this allowlist only; nothing of the sidecar's own
 * environment (tokens, agent keys, proxies) reaches gog. PATH keeps node's directory first so a
 * `#!/usr/bin/env node` fake gog starts.
 */
export function gogEnv(cfg: GogConfig, keyringPassword?: string): Record<string, string> {
  const env: Record<string, string> = {
    GOG_HOME: cfg.home,
    HOME: cfg.home,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
  };
  if (keyringPassword !== undefined) env['GOG_KEYRING_PASSWORD'] = keyringPassword;
  return env;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // The child leads its own process group, so helpers it started die with it.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

let spawner: ReturnType<typeof createSpawner> | undefined;

/** Runs gog once; the spawn happens in a worker thread, so fork and exec never stall the event loop. */
export function runProcess(
  cfg: GogConfig,
  argv: readonly string[],
  stdin: string | undefined,
  signal?: AbortSignal,
  keyringPassword?: string,
): Promise<ProcessResult> {
  if (spawner === undefined) spawner = createSpawner();
  if (spawner === null) return runInline(cfg, argv, stdin, signal, keyringPassword);
  return spawner.run(
    {
      binary: cfg.binary,
      argv,
      env: gogEnv(cfg, keyringPassword),
      stdin: stdin ?? '',
      timeoutMs: cfg.timeoutMs,
      maxOutputBytes: cfg.maxOutputBytes,
      killGraceMs: KILL_GRACE_MS,
    },
    signal,
  );
}

/** The same on the main thread, where no worker can be started. */
function runInline(
  cfg: GogConfig,
  argv: readonly string[],
  stdin: string | undefined,
  signal?: AbortSignal,
  keyringPassword?: string,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let ending: ProcessResult['kind'] | null = null;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const child = spawn(cfg.binary, [...argv], {
      shell: false,
      env: gogEnv(cfg, keyringPassword),
      cwd: '/',
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });

    const finish = (result: ProcessResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const stop = (why: ProcessResult['kind']): void => {
      if (ending !== null) return;
      ending = why;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const onAbort = (): void => stop('aborted');

    const timer = setTimeout(() => stop('timeout'), cfg.timeoutMs);
    if (signal?.aborted) stop('aborted');
    else signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > cfg.maxOutputBytes) return stop('too_large');
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errBytes += chunk.length;
      if (errBytes > cfg.maxOutputBytes) return stop('too_large');
      err.push(chunk);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish({
        kind: 'spawn_error',
        exitCode: null,
        signal: null,
        stdout: Buffer.alloc(0),
        stderr: Buffer.alloc(0),
        spawnErrorCode: e.code ?? 'UNKNOWN',
      });
    });
    child.on('close', (code, sig) => {
      finish({
        kind: ending ?? 'exited',
        exitCode: code,
        signal: sig,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
      });
    });

    // A child that exits before reading stdin closes the pipe; that is its answer, not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });
}
