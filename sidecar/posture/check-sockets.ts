// Socket permission checks: the agent can reach agent.sock and cannot reach operator.sock.
import { anyOf, canAccess, canReplaceEntry, formatMode, type Principal } from './access.ts';
import { describeProbe, type Inspected } from './inspect-path.ts';
import { type Finding, fromFindings, type RatedCheck, sh } from './rated-check.ts';
import type { FileStat, Probed } from './types.ts';

function observe(
  id: string,
  path: string,
  lst: Probed<FileStat>,
  sidecarUid: number,
): { stat: FileStat } | { check: RatedCheck } {
  if (lst.kind !== 'ok') {
    return {
      check: {
        id,
        required: true,
        status: 'unknown',
        summary: `${path} could not be observed: ${describeProbe(lst)}`,
        fix: 'run posture while the sidecar is listening (mailwarden posture asks the running sidecar)',
      },
    };
  }
  const stat = lst.value;
  if (!stat.isSocket) {
    return {
      check: {
        id,
        required: true,
        status: 'fail',
        summary: `${path} is not a socket${stat.isSymbolicLink ? ' (it is a symlink)' : ''}`,
        fix: `remove ${sh(path)} and restart the sidecar`,
      },
    };
  }
  if (stat.uid !== sidecarUid) {
    return {
      check: {
        id,
        required: true,
        status: 'fail',
        summary: `${path} is owned by uid ${stat.uid}, not the sidecar: another process may be answering`,
        fix: `stop whatever owns ${sh(path)}, remove it and restart the sidecar`,
      },
    };
  }
  return { stat };
}

function parentFindings(dir: Inspected, socketPath: string, socket: FileStat, agents: Principal[]): Finding[] {
  if (dir.kind !== 'ok') {
    return [{ status: 'unknown', text: `the socket directory could not be observed`, fix: 'check paths.runtimeDir' }];
  }
  const out: Finding[] = [];
  const steps = [
    ...dir.value.steps,
    { dir: dir.value.realPath, dirStat: dir.value.target, child: socketPath, childStat: socket },
  ];
  for (const step of steps) {
    const t = anyOf(agents.map((p) => canReplaceEntry(step.dirStat, step.childStat, p)));
    if (t === 'no') continue;
    out.push({
      status: t === 'yes' ? 'fail' : 'unknown',
      text: `${t === 'yes' ? '' : 'cannot tell whether '}the agent can replace ${step.child} through ${step.dir} (mode ${formatMode(step.dirStat.mode)})`,
      fix: `chmod go-w ${sh(step.dir)}`,
    });
  }
  return out;
}

export function agentSocketCheck(
  path: string,
  lst: Probed<FileStat>,
  dir: Inspected,
  sidecarUid: number,
  agents: Principal[],
): RatedCheck {
  const id = 'sockets.agent.mode';
  const seen = observe(id, path, lst, sidecarUid);
  if ('check' in seen) return seen.check;
  const { stat } = seen;
  const findings: Finding[] = [];
  if (stat.mode & 0o002) {
    findings.push({
      status: 'warn',
      text: `${path} is connectable by every local user (mode ${formatMode(stat.mode)}); agent keys still apply`,
      fix: 'set sockets.agentMode to 0o660 and sockets.agentGroup to the agents group (mailwarden-agents)',
    });
  }
  const reach = anyOf(agents.map((p) => canAccess(stat, p, 'write')));
  if (reach === 'no') {
    findings.push({
      status: 'warn',
      text: `the agent cannot connect to ${path} (mode ${formatMode(stat.mode)}, gid ${stat.gid})`,
      fix: 'add the agent user to the agents group (usermod -aG mailwarden-agents <agent user>) and set sockets.agentGroup',
    });
  }
  findings.push(...parentFindings(dir, path, stat, agents));
  return fromFindings(id, true, findings, `${path} is mode ${formatMode(stat.mode)}, gid ${stat.gid}`);
}

export function operatorSocketCheck(
  path: string,
  lst: Probed<FileStat>,
  dir: Inspected,
  sidecarUid: number,
  agents: Principal[],
): RatedCheck {
  const id = 'sockets.operator.mode';
  const seen = observe(id, path, lst, sidecarUid);
  if ('check' in seen) return seen.check;
  const { stat } = seen;
  const findings: Finding[] = [];
  // SECURITY: connecting to a unix socket needs write permission on it.
  const reach = anyOf(agents.map((p) => canAccess(stat, p, 'write')));
  if (reach !== 'no') {
    findings.push({
      status: reach === 'yes' ? 'fail' : 'unknown',
      text: `${reach === 'yes' ? 'the agent can connect to' : 'cannot tell whether the agent can connect to'} ${path} (mode ${formatMode(stat.mode)}, uid ${stat.uid}, gid ${stat.gid})`,
      fix:
        reach === 'yes'
          ? `chmod 600 ${sh(path)} and set sockets.operatorMode to 0o600`
          : 'set agent.user in the config to the agent runtime OS user',
    });
  }
  findings.push(...parentFindings(dir, path, stat, agents));
  return fromFindings(id, true, findings, `${path} is mode ${formatMode(stat.mode)}, out of the agent's reach`);
}
