// Starts a real sidecar for tests: a setup made by `mailwarden init` in a temp dir, then `mailwarden serve` as a
// child process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

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

type Profile = NonNullable<StartOptions['profile']>;

/** What `mailwarden init --json` prints. */
export interface InitOutput {
  readonly config: string;
  readonly agentSocket: string;
  readonly operatorSocket: string;
  readonly agentKey: string;
  readonly approverKey: string;
}

async function runInit(dir: string, profile: Profile): Promise<InitOutput> {
  const r = await mailwarden(['init', '--dir', dir, '--backend', 'fake', '--profile', profile, '--json']);
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as InitOutput;
}

/**
 * One `mailwarden init` per profile for the whole run, shared by the test processes through the directory the
 * global setup provides (test/support/global-setup.ts): each init is a CLI start plus key generation, and most
 * files only need a setup, not a run of init. The first process to finish an init publishes it with an atomic
 * rename; the others use that one.
 */
const templates = new Map<Profile, Promise<{ dir: string; init: InitOutput }>>();

function templatesRoot(): string {
  // Set by the test run's global setup (test/support/global-setup.ts) for every test process.
  const provided = process.env['MW_SETUP_TEMPLATES'];
  if (provided !== undefined && provided.length > 0) return provided;
  // Outside a test run (the benchmarks) or another config: templates of this process only, removed at exit.
  const own = mkdtempSync(join(tmpdir(), 'mw-templates-'));
  process.once('exit', () => rmSync(own, { recursive: true, force: true }));
  return own;
}

let root: string | undefined;

function template(profile: Profile): Promise<{ dir: string; init: InitOutput }> {
  let t = templates.get(profile);
  if (!t) {
    t = (async () => {
      root ??= templatesRoot();
      const published = join(root, profile);
      const read = () => ({
        dir: join(published, 'setup'),
        init: JSON.parse(readFileSync(join(published, 'init.json'), 'utf8')) as InitOutput,
      });
      if (existsSync(published)) return read();
      const work = mkdtempSync(join(root, `.${profile}-`));
      const made = await runInit(join(work, 'setup'), profile);
      // A copy is only the same setup while nothing in it names the directory it was written to.
      const named = filesUnder(join(work, 'setup')).filter((f) => readFileSync(f, 'latin1').includes(work));
      if (named.length > 0) throw new Error(`init wrote its own directory into ${named.join(', ')}: copies break`);
      const init = { ...made, ...relocate(made, join(work, 'setup'), join(published, 'setup')) };
      writeFileSync(join(work, 'init.json'), JSON.stringify(init));
      try {
        renameSync(work, published);
      } catch {
        // Another process published this profile first; its init is as good as this one.
        rmSync(work, { recursive: true, force: true });
      }
      return read();
    })();
    templates.set(profile, t);
  }
  return t;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** The paths init printed for a setup in `from`, for the same setup copied to `to`. */
function relocate(init: InitOutput, from: string, to: string): Omit<InitOutput, 'agentKey'> {
  const move = (p: string) => {
    const rel = relative(from, p);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`init printed a path outside its setup: ${p}`);
    return join(to, rel);
  };
  return {
    config: move(init.config),
    agentSocket: move(init.agentSocket),
    operatorSocket: move(init.operatorSocket),
    approverKey: move(init.approverKey),
  };
}

/**
 * A fresh setup for one profile, as `mailwarden init --backend fake` writes it: a copy of the run's init for that
 * profile (the configuration refers to everything by relative paths, and the copy keeps every file mode). The
 * setups of one run share their keys. `fresh` runs init for this setup itself, for tests about what init writes.
 */
export async function initSetup(profile: Profile = 'draft_assist', opts: { readonly fresh?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mw-'));
  if (opts.fresh) return { dir, init: await runInit(dir, profile) };
  const t = await template(profile);
  cpSync(t.dir, dir, { recursive: true });
  chmodSync(dir, statSync(t.dir).mode & 0o7777);
  return { dir, init: { ...t.init, ...relocate(t.init, t.dir, dir) } };
}

async function serve(dir: string, init: InitOutput, env: NodeJS.ProcessEnv = {}): Promise<TestSidecar> {
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

/** A YAML file of a setup, edited in place before serve starts; it keeps its owner-only mode. */
function editYaml<T>(file: string, edit: (doc: T) => void): void {
  const doc = parse(readFileSync(file, 'utf8')) as T;
  edit(doc);
  writeFileSync(file, stringify(doc), { mode: 0o600 });
}

/** Edits the setup's `mailwarden.yaml` (every setup `mailwarden init` writes lists its agents). */
export function editConfig(dir: string, edit: (cfg: Record<string, unknown> & { agents: unknown[] }) => void): void {
  editYaml(join(dir, 'mailwarden.yaml'), edit);
}

/** Edits the setup's `policy.yaml` (every shipped profile has a rules list). */
export function editPolicy(dir: string, edit: (policy: Record<string, unknown> & { rules: unknown[] }) => void): void {
  editYaml(join(dir, 'policy.yaml'), edit);
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
