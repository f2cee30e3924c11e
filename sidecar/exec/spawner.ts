// gog is spawned from a worker thread: fork and exec of a large process take milliseconds, and done on the
// main thread they stall every socket for that long. The worker does exactly what runProcess did in-line
// (argv without a shell, the allowlisted env, its own process group, timeout, output caps, SIGTERM then
// SIGKILL) and hands back the same ProcessResult.
import { Worker } from 'node:worker_threads';

export interface SpawnJob {
  readonly binary: string;
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly stdin: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly killGraceMs: number;
}

export interface SpawnOutcome {
  readonly kind: 'exited' | 'timeout' | 'too_large' | 'spawn_error' | 'aborted';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly spawnErrorCode?: string;
}

// Plain JS evaluated in the worker, so it runs the same from the sources and from the bundled CLI.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const runs = new Map();
function killGroup(pid, signal) {
  if (pid === undefined) return;
  try { process.kill(-pid, signal); } catch { try { process.kill(pid, signal); } catch {} }
}
function start(id, job) {
  const out = []; const err = [];
  let outBytes = 0; let errBytes = 0; let ending = null; let settled = false; let killTimer;
  let child;
  const finish = (r) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer); clearTimeout(killTimer);
    runs.delete(id);
    const stdout = Buffer.concat(out); const stderr = Buffer.concat(err);
    const o = new Uint8Array(stdout); const e = new Uint8Array(stderr);
    parentPort.postMessage({ id, ...r, stdout: o, stderr: e }, [o.buffer, e.buffer]);
  };
  const stop = (why) => {
    if (ending !== null) return;
    ending = why;
    killGroup(child && child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child && child.pid, 'SIGKILL'), job.killGraceMs);
  };
  const timer = setTimeout(() => stop('timeout'), job.timeoutMs);
  runs.set(id, { stop });
  try {
    child = spawn(job.binary, job.argv, { shell: false, env: job.env, cwd: '/', detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    finish({ kind: 'spawn_error', exitCode: null, signal: null, spawnErrorCode: (e && e.code) || 'UNKNOWN' });
    return;
  }
  child.stdout.on('data', (c) => { outBytes += c.length; if (outBytes > job.maxOutputBytes) return stop('too_large'); out.push(c); });
  child.stderr.on('data', (c) => { errBytes += c.length; if (errBytes > job.maxOutputBytes) return stop('too_large'); err.push(c); });
  child.on('error', (e) => finish({ kind: 'spawn_error', exitCode: null, signal: null, spawnErrorCode: e.code || 'UNKNOWN' }));
  child.on('close', (code, sig) => finish({ kind: ending || 'exited', exitCode: code, signal: sig }));
  child.stdin.on('error', () => undefined);
  child.stdin.end(job.stdin);
}
parentPort.on('message', (m) => {
  if (m.type === 'run') start(m.id, m.job);
  else if (m.type === 'abort') { const r = runs.get(m.id); if (r) r.stop('aborted'); }
});
`;

type Reply = Omit<SpawnOutcome, 'stdout' | 'stderr'> & { id: number; stdout: Uint8Array; stderr: Uint8Array };

/** A lazily started worker that spawns processes; null once it failed (callers then spawn in-line). */
export function createSpawner(): { run(job: SpawnJob, signal?: AbortSignal): Promise<SpawnOutcome> } | null {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true });
  } catch {
    return null;
  }
  worker.unref();
  let nextId = 1;
  const pending = new Map<number, (r: SpawnOutcome) => void>();
  const fail = (code: string) => {
    for (const [, resolve] of pending)
      resolve({
        kind: 'spawn_error',
        exitCode: null,
        signal: null,
        stdout: Buffer.alloc(0),
        stderr: Buffer.alloc(0),
        spawnErrorCode: code,
      });
    pending.clear();
  };
  worker.on('message', (r: Reply) => {
    const resolve = pending.get(r.id);
    if (!resolve) return;
    pending.delete(r.id);
    if (pending.size === 0) worker.unref();
    resolve({
      kind: r.kind,
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: Buffer.from(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength),
      stderr: Buffer.from(r.stderr.buffer, r.stderr.byteOffset, r.stderr.byteLength),
      ...(r.spawnErrorCode === undefined ? {} : { spawnErrorCode: r.spawnErrorCode }),
    });
  });
  worker.on('error', () => fail('SPAWNER_FAILED'));
  worker.on('exit', () => fail('SPAWNER_EXITED'));
  return {
    run(job, signal) {
      const id = nextId++;
      return new Promise<SpawnOutcome>((resolve) => {
        const onAbort = () => worker.postMessage({ type: 'abort', id });
        pending.set(id, (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        });
        // A pending gog keeps the sidecar alive, exactly as an in-line child process would.
        worker.ref();
        worker.postMessage({ type: 'run', id, job: { ...job, argv: [...job.argv] } });
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
