// Unit tests of the permission arithmetic, table-driven and property-based.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canAccess, canReplaceEntry, formatMode, type Principal } from './access.ts';
import type { FileStat } from './types.ts';

const st = (mode: number, uid = 100, gid = 100, isDirectory = false): FileStat => ({
  uid,
  gid,
  mode,
  isDirectory,
  isSocket: false,
  isSymbolicLink: false,
});

describe('canAccess', () => {
  it.each<[string, FileStat, Principal, 'read' | 'write', string]>([
    ['owner bits do not matter to the owner, who can chmod', st(0o000), { uid: 100, gids: [1] }, 'read', 'yes'],
    ['root reads anything', st(0o000), { uid: 0 }, 'read', 'yes'],
    ['group member with group read', st(0o640), { uid: 7, gids: [100] }, 'read', 'yes'],
    ['group member without group write', st(0o640), { uid: 7, gids: [100] }, 'write', 'no'],
    ['group bits only apply to members', st(0o640), { uid: 7, gids: [5] }, 'read', 'no'],
    ['other read', st(0o604), { uid: 7, gids: [5] }, 'read', 'yes'],
    ['a member of the group is denied even if other may', st(0o604), { uid: 7, gids: [100] }, 'read', 'no'],
    ['unknown groups and group read', st(0o640), { uid: 7 }, 'read', 'unknown'],
    ['unknown groups and no group bits', st(0o600), { uid: 7 }, 'read', 'no'],
    ['unknown uid with other read', st(0o604), {}, 'read', 'yes'],
    ['unknown uid, nothing granted: could be the owner', st(0o600), {}, 'read', 'unknown'],
    ['unknown uid in the group', st(0o660), { gids: [100] }, 'write', 'yes'],
  ])('%s', (_name, stat, who, access, expected) => {
    expect(canAccess(stat, who, access)).toBe(expected);
  });

  it('never says "no" about a principal whose uid is unknown', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0o777 }), fc.array(fc.integer({ min: 0, max: 200 })), (mode, gids) => {
        expect(canAccess(st(mode), { gids }, 'read')).not.toBe('no');
      }),
    );
  });

  it('agrees with the classic owner/group/other rule for a fully known principal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0o777 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (mode, uid, gid) => {
          const who = { uid, gids: [gid] };
          const stat = st(mode, 1, 1);
          const bit = uid === 1 ? 0o400 : gid === 1 ? 0o040 : 0o004;
          const expected = uid === 1 || (mode & bit) !== 0 ? 'yes' : 'no';
          expect(canAccess(stat, who, 'read')).toBe(expected);
        },
      ),
    );
  });
});

describe('canReplaceEntry', () => {
  const agent = { uid: 7, gids: [7] };
  it.each<[string, FileStat, FileStat, string]>([
    ['a world-writable directory', st(0o777, 0, 0, true), st(0o600), 'yes'],
    ['a sticky world-writable directory, entry not the agent’s', st(0o1777, 0, 0, true), st(0o600), 'no'],
    ['a sticky world-writable directory, entry owned by the agent', st(0o1777, 0, 0, true), st(0o600, 7), 'yes'],
    ['a directory the agent owns even at 0500', st(0o500, 7, 7, true), st(0o600), 'yes'],
    ['write without search does not let it rename', st(0o772, 0, 0, true), st(0o600), 'no'],
    ['a 0755 root directory', st(0o755, 0, 0, true), st(0o600), 'no'],
  ])('%s', (_name, dir, child, expected) => {
    expect(canReplaceEntry(dir, child, agent)).toBe(expected);
  });
});

describe('formatMode', () => {
  it.each([
    [0o100600, '0600'],
    [0o41777, '01777'],
    [0o40755, '0755'],
  ])('%o → %s', (mode, text) => {
    expect(formatMode(mode)).toBe(text);
  });
});
