// Pinning, per-process CPU time from /proc, the pinned load-generator child, and a pinned `mailwarden serve`.
import { type ChildProcessByStdio, execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { REPO_ROOT } from '../test/support/sidecar.ts';
import { type ReadyChild, spawnUntilReady } from './child.ts';
import type { ClientJob } from './client.ts';

/** Server and client on separate cores when the machine has two and taskset exists; otherwise unpinned. */
export const PINNING: { server: string[]; client: string[]; note: string } = (() => {
  let taskset = false;
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    taskset = true;
  } catch {
    taskset = false;
  }
  if (!taskset || cpus().length < 2) return { server: [], client: [], note: 'not pinned (needs taskset and 2 cores)' };
  return {
    server: ['taskset', '-c', '1'],
    client: ['taskset', '-c', '0'],
    note: 'server pinned to cpu 1, load generator to cpu 0',
  };
})();

/** Spawns `argv` under the server pinning; the pid is the program's own (taskset execs it). */
export function spawnPinned(argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<ReadyChild> {
  const full = [...PINNING.server, ...argv];
  return spawnUntilReady(full[0]!, full.slice(1), opts);
}

/** CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat; null without /proc. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' });
    // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return ticks / clockTicks();
  } catch {
    return null;
  }
}

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The load generator child, pinned to its own core, fed one job at a time. */
export class LoadClient {
  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(): Promise<LoadClient> {
    const argv = [...PINNING.client, process.execPath, '--import', 'tsx', join(REPO_ROOT, 'bench', 'client.ts')];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.value !== 'ready') throw new Error(`load client did not start: ${String(first.value)}`);
    return new LoadClient(child, lines);
  }

  async run<T>(job: ClientJob): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(job)}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error('load client exited');
    const answer = JSON.parse(next.value) as { ok: boolean; result?: T; error?: string };
    if (!answer.ok) throw new Error(`load client: ${answer.error}`);
    return answer.result as T;
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    await new Promise((r) => this.child.once('exit', r));
  }
}
