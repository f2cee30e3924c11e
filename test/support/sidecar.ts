// Starts a real sidecar for tests: `mailwarden init` into a temp dir, then `mailwarden serve` as a child process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'mailwarden.mjs');
const run = promisify(execFile);

export interface TestSidecar {
  readonly dir: string;
  readonly configPath: string;
  readonly agentSocket: string;
  readonly operatorSocket: string;
  readonly agentKey: string;
  readonly approverKey: string;
  readonly gogHome: string;
  readonly evidenceDir: string;
  /** Everything the sidecar wrote to stderr (its log). */
  stderr(): string;
  readonly child: ChildProcess;
  stop(): Promise<number | null>;
  /** SIGKILL, for crash tests. */
  kill(): Promise<void>;
  /** Start serve again on the same setup (after stop or kill). */
  restart(): Promise<TestSidecar>;
}

export interface StartOptions {
  readonly profile?: 'observe_only' | 'draft_assist' | 'scoped_execution' | 'full';
  /** Edit files in the setup before serve starts (e.g. the policy or the mailbox). */
  readonly prepare?: (dir: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

export async function mailwarden(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export async function initSetup(profile: StartOptions['profile'] = 'draft_assist') {
  const dir = mkdtempSync(join(tmpdir(), 'mw-'));
  const r = await mailwarden(['init', '--dir', dir, '--backend', 'fake', '--profile', profile, '--json']);
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  return {
    dir,
    init: JSON.parse(r.stdout) as {
      config: string;
      agentSocket: string;
      operatorSocket: string;
      agentKey: string;
      approverKey: string;
    },
  };
}

async function serve(
  dir: string,
  init: Awaited<ReturnType<typeof initSetup>>['init'],
  env: NodeJS.ProcessEnv = {},
): Promise<TestSidecar> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', init.config, '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        child.stdout!.off('data', onData);
        res();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`serve exited with ${code}: ${err}`)));
    setTimeout(() => rej(new Error(`serve did not get ready: ${err}`)), 20_000).unref();
  });
  const handle: TestSidecar = {
    dir,
    configPath: init.config,
    agentSocket: init.agentSocket,
    operatorSocket: init.operatorSocket,
    agentKey: init.agentKey,
    approverKey: init.approverKey,
    gogHome: join(dir, 'gog-home'),
    evidenceDir: join(dir, 'evidence'),
    stderr: () => err,
    child,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    restart: () => serve(dir, init, env),
  };
  return handle;
}

export async function startTestSidecar(opts: StartOptions = {}): Promise<TestSidecar> {
  const { dir, init } = await initSetup(opts.profile ?? 'draft_assist');
  opts.prepare?.(dir);
  return serve(dir, init, opts.env);
}

export function removeSetup(s: { dir: string }): void {
  rmSync(s.dir, { recursive: true, force: true });
}

export function readOutbox(gogHome: string): { command: string; argv: string[]; stdin?: string }[] {
  try {
    return readFileSync(join(gogHome, 'fake-outbox.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { command: string; argv: string[]; stdin?: string });
  } catch {
    return [];
  }
}
