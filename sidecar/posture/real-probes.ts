// The real edges of posture: node:fs for files, the system user database, and gog spawned with an argv.
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import type { z } from 'zod';
import {
  type FileStat,
  GogAuthProbeSchema,
  GogSchemaProbeSchema,
  type PostureProbes,
  type Probed,
  type UserInfo,
} from './types.ts';

export interface RealProbeOptions {
  gog?: {
    binary: string;
    home: string;
    account?: string;
    timeoutMs?: number;
    maxOutputBytes?: number;
  };
}

function toFileStat(s: Stats): FileStat {
  return {
    uid: s.uid,
    gid: s.gid,
    mode: s.mode,
    isDirectory: s.isDirectory(),
    isSocket: s.isSocket(),
    isSymbolicLink: s.isSymbolicLink(),
  };
}

async function fsProbe<T>(f: () => Promise<T>): Promise<Probed<T>> {
  try {
    return { kind: 'ok', value: await f() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
  maxBytes: number,
): Promise<{ ok: true; stdout: string } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: maxBytes, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const line = stderr.trim().split('\n')[0] ?? '';
        resolve({ ok: false, message: `${file} ${args.join(' ')} failed: ${line || err.message}` });
      } else {
        resolve({ ok: true, stdout });
      }
    });
  });
}

const SAFE_ENV = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LC_ALL: 'C' };

/** Parses one passwd line (name:x:uid:gid:gecos:home:shell). */
export function parsePasswdLine(line: string): UserInfo | null {
  const f = line.split(':');
  if (f.length < 7) return null;
  const [name, , uid, gid, , home] = f;
  if (!name || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return null;
  const user: UserInfo = { name, uid: Number(uid), gid: Number(gid) };
  if (home) user.home = home;
  return user;
}

/** Parses one group line (name:x:gid:member,member). */
export function parseGroupLine(line: string): { name: string; gid: number; members: string[] } | null {
  const f = line.split(':');
  if (f.length < 4) return null;
  const [name, , gid, members] = f;
  if (!name || !/^\d+$/.test(gid ?? '')) return null;
  return { name, gid: Number(gid), members: (members ?? '').split(',').filter((m) => m.length > 0) };
}

/** Whole user or group database: getent covers NSS (LDAP, sssd); the files are the fallback. */
async function database(kind: 'passwd' | 'group'): Promise<string[]> {
  const r = await run('getent', [kind], SAFE_ENV, 5_000, 16 * 1024 * 1024);
  const text = r.ok ? r.stdout : await readFile(`/etc/${kind}`, 'utf8');
  return text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
}

async function lookupUser(match: (u: UserInfo) => boolean, what: string): Promise<Probed<UserInfo>> {
  try {
    for (const line of await database('passwd')) {
      const u = parsePasswdLine(line);
      if (u && match(u)) return { kind: 'ok', value: u };
    }
    return { kind: 'missing' };
  } catch (err) {
    return { kind: 'error', message: `cannot look up ${what}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function gogJson<S extends z.ZodType>(
  options: RealProbeOptions['gog'],
  args: string[],
  schema: S,
): Promise<Probed<z.infer<S>>> {
  if (options === undefined) return { kind: 'error', message: 'no gog binary configured' };
  // SECURITY: argv only, an allowlisted environment, a timeout and an output cap.
  const env: Record<string, string> = { ...SAFE_ENV, GOG_HOME: options.home, HOME: options.home };
  const r = await run(
    options.binary,
    args,
    env,
    options.timeoutMs ?? 10_000,
    options.maxOutputBytes ?? 4 * 1024 * 1024,
  );
  if (!r.ok) return { kind: 'error', message: r.message };
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    return { kind: 'error', message: `gog ${args[0] ?? ''} did not print JSON` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { kind: 'error', message: `gog ${args[0] ?? ''} printed an unexpected shape` };
  return { kind: 'ok', value: parsed.data };
}

export function createRealProbes(options: RealProbeOptions = {}): PostureProbes {
  return {
    stat: (p) => fsProbe(async () => toFileStat(await stat(p))),
    lstat: (p) => fsProbe(async () => toFileStat(await lstat(p))),
    realpath: (p) => fsProbe(() => realpath(p)),
    readdir: (p) => fsProbe(() => readdir(p)),
    gogSchema: () => gogJson(options.gog, ['schema', '--json', '--no-input'], GogSchemaProbeSchema),
    gogAuth: () => gogJson(options.gog, ['auth', 'list', '--check', '--json', '--no-input'], GogAuthProbeSchema),
    userByName: (name) => lookupUser((u) => u.name === name, `user ${name}`),
    userByUid: (uid) => lookupUser((u) => u.uid === uid, `uid ${uid}`),
    async groupsOf(user) {
      const r = await run('id', ['-G', '--', user.name], SAFE_ENV, 5_000, 64 * 1024);
      if (r.ok) {
        const gids = r.stdout
          .trim()
          .split(/\s+/)
          .filter((g) => /^\d+$/.test(g))
          .map(Number);
        if (gids.length > 0) return { kind: 'ok', value: gids };
      }
      try {
        const groups = (await database('group')).map(parseGroupLine).filter((g) => g !== null);
        return {
          kind: 'ok',
          value: [user.gid, ...groups.filter((g) => g.members.includes(user.name)).map((g) => g.gid)],
        };
      } catch (err) {
        return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
      }
    },
    async groupByName(name) {
      try {
        const group = (await database('group')).map(parseGroupLine).find((g) => g?.name === name);
        return group ? { kind: 'ok', value: group.gid } : { kind: 'missing' };
      } catch (err) {
        return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
      }
    },
    async groupMembers(gid) {
      try {
        const groups = (await database('group')).map(parseGroupLine).filter((g) => g !== null);
        const group = groups.find((g) => g.gid === gid);
        const users = (await database('passwd')).map(parsePasswdLine).filter((u) => u !== null);
        const names = new Set(group?.members ?? []);
        return { kind: 'ok', value: users.filter((u) => u.gid === gid || names.has(u.name)) };
      } catch (err) {
        return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
