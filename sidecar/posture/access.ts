// Pure permission arithmetic: can a (partly known) principal read, write or control a file, given its stat?
import type { FileStat } from './types.ts';

/** An OS identity posture reasons about; a missing field is not known. */
export interface Principal {
  uid?: number;
  gids?: number[];
  name?: string;
  home?: string;
}

/** Three-valued answer: posture must never turn "could not tell" into "no". */
export type Tri = 'yes' | 'no' | 'unknown';

export type Access = 'read' | 'write' | 'exec';

const BITS: Record<Access, { owner: number; group: number; other: number }> = {
  read: { owner: 0o400, group: 0o040, other: 0o004 },
  write: { owner: 0o200, group: 0o020, other: 0o002 },
  exec: { owner: 0o100, group: 0o010, other: 0o001 },
};

export const STICKY = 0o1000;

export function permissionBits(mode: number): number {
  return mode & 0o7777;
}

export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** Whether the principal owns the file (and so can chmod it) or is root. */
export function controls(stat: FileStat, who: Principal): Tri {
  if (who.uid === undefined) return 'unknown';
  return who.uid === 0 || stat.uid === who.uid ? 'yes' : 'no';
}

/**
 * Classic Unix access check. An owner counts as having every access, because it
 * can chmod the file at will. ACLs are not read: documented as a limit.
 */
export function canAccess(stat: FileStat, who: Principal, access: Access): Tri {
  const bits = BITS[access];
  const mode = stat.mode;
  if (who.uid !== undefined) {
    if (who.uid === 0) return 'yes';
    if (stat.uid === who.uid) return 'yes';
    if (who.gids !== undefined) {
      if (who.gids.includes(stat.gid)) return mode & bits.group ? 'yes' : 'no';
      return mode & bits.other ? 'yes' : 'no';
    }
    if (mode & bits.other) return 'yes';
    return mode & bits.group ? 'unknown' : 'no';
  }
  // Uid unknown: the principal might even be the owner.
  if (mode & bits.other) return 'yes';
  if (who.gids?.includes(stat.gid) && mode & bits.group) return 'yes';
  return 'unknown';
}

/** Whether the principal can replace or rename `child` inside directory `dir`. */
export function canReplaceEntry(dir: FileStat, child: FileStat | null, who: Principal): Tri {
  const ownsDir = controls(dir, who);
  if (ownsDir === 'yes') return 'yes';
  const write = canAccess(dir, who, 'write');
  const exec = canAccess(dir, who, 'exec');
  const writable = and(write, exec);
  if (writable === 'no') return ownsDir === 'unknown' ? 'unknown' : 'no';
  if ((dir.mode & STICKY) === 0) return writable;
  // SECURITY: in a sticky directory (like /tmp) only the entry's owner or the directory's owner may replace it.
  const ownsChild = child === null ? 'no' : controls(child, who);
  return and(writable, or(ownsChild, ownsDir));
}

export function and(a: Tri, b: Tri): Tri {
  if (a === 'no' || b === 'no') return 'no';
  if (a === 'yes' && b === 'yes') return 'yes';
  return 'unknown';
}

export function or(a: Tri, b: Tri): Tri {
  if (a === 'yes' || b === 'yes') return 'yes';
  if (a === 'no' && b === 'no') return 'no';
  return 'unknown';
}

/** Combines the answers for several principals (several agent users): any yes wins, then any unknown. */
export function anyOf(values: Tri[]): Tri {
  return values.reduce<Tri>((acc, v) => or(acc, v), 'no');
}
