// Observes a path the way an attacker would meet it: symlinks resolved, every parent directory, direct children.
import { dirname, join, resolve, sep } from 'node:path';
import type { FileStat, PostureProbes, Probed } from './types.ts';

/** One directory on the way to the target and the entry in it that the path goes through. */
export interface PathStep {
  dir: string;
  dirStat: FileStat;
  child: string;
  /** lstat of the entry (a symlink is seen as itself); null when it could not be observed. */
  childStat: FileStat | null;
}

export interface PathInspection {
  path: string;
  realPath: string;
  target: FileStat;
  /** Steps of both the path as written and its resolved form. */
  steps: PathStep[];
  /** Direct children of a directory target (bounded). */
  children: { path: string; stat: FileStat }[];
  /** Things that could not be observed; each makes the answer `unknown`. */
  blind: string[];
}

export type Inspected =
  | { kind: 'ok'; value: PathInspection }
  | { kind: 'missing' }
  | { kind: 'error'; message: string };

/** Directories with more entries than this are only partly inspected, and say so. */
export const MAX_CHILDREN = 512;

function ancestors(path: string): { dir: string; child: string }[] {
  const out: { dir: string; child: string }[] = [];
  let child = path;
  let dir = dirname(child);
  while (dir !== child) {
    out.unshift({ dir, child });
    child = dir;
    dir = dirname(child);
  }
  return out;
}

export async function inspectPath(path: string, probes: PostureProbes): Promise<Inspected> {
  const abs = resolve(path);
  const real = await probes.realpath(abs);
  if (real.kind !== 'ok') return real;
  const target = await probes.stat(real.value);
  if (target.kind !== 'ok') return target;
  const blind: string[] = [];
  const steps: PathStep[] = [];
  const seen = new Set<string>();
  for (const p of [abs, real.value]) {
    for (const { dir, child } of ancestors(p)) {
      const key = `${dir}${sep}${child}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const [dirStat, childStat] = await Promise.all([probes.stat(dir), probes.lstat(child)]);
      if (dirStat.kind !== 'ok') {
        blind.push(`${dir}: ${describeProbe(dirStat)}`);
        continue;
      }
      steps.push({ dir, dirStat: dirStat.value, child, childStat: childStat.kind === 'ok' ? childStat.value : null });
    }
  }
  const children: { path: string; stat: FileStat }[] = [];
  if (target.value.isDirectory) {
    const names = await probes.readdir(real.value);
    if (names.kind === 'ok') {
      if (names.value.length > MAX_CHILDREN) blind.push(`${real.value}: more than ${MAX_CHILDREN} entries`);
      for (const name of names.value.slice(0, MAX_CHILDREN)) {
        const childPath = join(real.value, name);
        // A symlinked child is judged by what it points to: that is what the sidecar opens.
        const l = await probes.lstat(childPath);
        const st = l.kind === 'ok' && l.value.isSymbolicLink ? await probes.stat(childPath) : l;
        if (st.kind === 'ok') children.push({ path: childPath, stat: st.value });
        else if (st.kind === 'error') blind.push(`${childPath}: ${st.message}`);
      }
    } else {
      blind.push(`${real.value}: ${describeProbe(names)}`);
    }
  }
  return { kind: 'ok', value: { path: abs, realPath: real.value, target: target.value, steps, children, blind } };
}

export function describeProbe(p: Probed<unknown>): string {
  switch (p.kind) {
    case 'ok':
      return 'ok';
    case 'missing':
      return 'does not exist';
    case 'error':
      return p.message;
  }
}
