// Refuse-to-start check: keys, directories and files with unsafe modes or owners stop the sidecar.
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { formatMode } from './access.ts';
import { sh } from './rated-check.ts';

export interface StartupPaths {
  /** Private keys: must be 0600 (or stricter) and owned by the running user. */
  keys: string[];
  /** Directories the sidecar writes: not group- or other-writable. */
  dirs: string[];
  /** Config and policy: not group- or other-writable. */
  files: string[];
}

export interface StartupProblem {
  path: string;
  problem: string;
  /** The exact command that fixes it. */
  fix: string;
}

export type StartupModesResult = { ok: true } | { ok: false; problems: StartupProblem[] };

export interface StartupIdentity {
  uid: number;
  name: string;
}

function currentIdentity(): StartupIdentity | null {
  if (typeof process.getuid !== 'function') return null;
  const uid = process.getuid();
  try {
    return { uid, name: userInfo().username };
  } catch {
    return { uid, name: String(uid) };
  }
}

type Observed =
  | { kind: 'ok'; mode: number; uid: number; isDir: boolean }
  | { kind: 'problem'; problem: StartupProblem };

function observe(path: string, expectDir: boolean): Observed {
  try {
    const st = statSync(path);
    if (st.isDirectory() !== expectDir) {
      return {
        kind: 'problem',
        problem: {
          path,
          problem: `${path} is ${expectDir ? 'not a directory' : 'a directory'}`,
          fix: `correct the path to ${path} in the config`,
        },
      };
    }
    return { kind: 'ok', mode: st.mode, uid: st.uid, isDir: st.isDirectory() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return {
      kind: 'problem',
      problem: {
        path,
        problem: missing ? `${path} does not exist` : `${path} cannot be read (${code ?? 'error'})`,
        fix: missing
          ? expectDir
            ? `mkdir -m 700 -p ${sh(path)}`
            : `create ${path} (mailwarden init or mailwarden keygen) or correct its path in the config`
          : `ls -ld ${sh(path)} and give the service user access to it`,
      },
    };
  }
}

function ownerProblem(
  path: string,
  uid: number,
  me: StartupIdentity | null,
  allowRoot: boolean,
): StartupProblem | null {
  if (me === null || uid === me.uid || (allowRoot && uid === 0)) return null;
  return {
    path,
    problem: `${path} is owned by uid ${uid}, not by ${me.name} (uid ${me.uid}) who runs mailwarden`,
    fix: `chown ${me.name} ${sh(path)}`,
  };
}

/**
 * SECURITY: run before anything reads a key. A key others can read is already
 * compromised in principle; a writable directory lets another user swap files.
 */
export function checkStartupFileModes(
  paths: StartupPaths,
  /** Who will run the sidecar; defaults to the current process. */
  runAs: StartupIdentity | null = currentIdentity(),
): StartupModesResult {
  const me = runAs;
  const problems: StartupProblem[] = [];
  for (const key of paths.keys) {
    const o = observe(key, false);
    if (o.kind === 'problem') {
      problems.push(o.problem);
      continue;
    }
    const owner = ownerProblem(key, o.uid, me, false);
    if (owner) problems.push(owner);
    if ((o.mode & 0o077) !== 0) {
      const readable = (o.mode & 0o044) !== 0 ? ', readable by others' : '';
      problems.push({
        path: key,
        problem: `key ${key} is mode ${formatMode(o.mode)}${readable}; keys must be 0600`,
        fix: `chmod 600 ${sh(key)}`,
      });
    }
  }
  for (const dir of paths.dirs) {
    const o = observe(dir, true);
    if (o.kind === 'problem') {
      problems.push(o.problem);
      continue;
    }
    const owner = ownerProblem(dir, o.uid, me, false);
    if (owner) problems.push(owner);
    if ((o.mode & 0o022) !== 0) {
      problems.push({
        path: dir,
        problem: `directory ${dir} is mode ${formatMode(o.mode)}, writable by group or others`,
        fix: `chmod go-w ${sh(dir)}`,
      });
    }
  }
  for (const file of paths.files) {
    const o = observe(file, false);
    if (o.kind === 'problem') {
      problems.push(o.problem);
      continue;
    }
    const owner = ownerProblem(file, o.uid, me, true);
    if (owner) problems.push(owner);
    if ((o.mode & 0o022) !== 0) {
      problems.push({
        path: file,
        problem: `file ${file} is mode ${formatMode(o.mode)}, writable by group or others`,
        fix: `chmod go-w ${sh(file)}`,
      });
    }
  }
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}

/** One message listing every problem and its fix, for the refusal to start. */
export function formatStartupProblems(problems: readonly StartupProblem[]): string {
  return [
    'mailwarden refuses to start: unsafe file modes',
    ...problems.map((p) => `  ${p.problem}\n    fix: ${p.fix}`),
  ].join('\n');
}
