// Resolves a group name (or number) to a gid, through NSS where getent exists, else /etc/group.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MailwardenError } from '../errors.ts';

export class GroupError extends MailwardenError<'GROUP_UNKNOWN'> {
  override readonly name = 'GroupError';
}

function fromLine(line: string, name: string): number | null {
  const [n, , gid] = line.split(':');
  return n === name && gid !== undefined && /^\d+$/.test(gid) ? Number(gid) : null;
}

export function resolveGroupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  try {
    const out = execFileSync('getent', ['group', group], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const gid = fromLine(out.trim(), group);
    if (gid !== null) return gid;
  } catch {
    // no getent, or the group is unknown to NSS: fall back to the file
  }
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const gid = fromLine(line, group);
      if (gid !== null) return gid;
    }
  } catch {
    // unreadable: reported below
  }
  throw new GroupError(
    'GROUP_UNKNOWN',
    `sockets.agentGroup: no group "${group}" on this host; create it (groupadd ${group}) or fix the name`,
  );
}
