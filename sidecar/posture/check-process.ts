// Process identity checks: the sidecar is not root and does not share a uid with the agent.
import type { Principal } from './access.ts';
import { describeAgents } from './agents.ts';
import { type Finding, fromFindings, type RatedCheck } from './rated-check.ts';

export function notRootCheck(sidecarUid: number): RatedCheck {
  if (sidecarUid === 0) {
    return {
      id: 'process.not_root',
      required: true,
      status: 'fail',
      summary: 'the sidecar runs as root, so a bug in it owns the machine',
      fix: 'run it as the dedicated mailwarden user (User=mailwarden in the systemd unit)',
    };
  }
  return { id: 'process.not_root', required: true, status: 'pass', summary: `runs as uid ${sidecarUid}, not root` };
}

export function uidSeparationCheck(
  sidecar: { uid: number; gid: number },
  agents: Principal[],
  source: string,
): RatedCheck {
  const findings: Finding[] = [];
  for (const agent of agents) {
    if (agent.uid === undefined) {
      findings.push({
        status: 'unknown',
        text: `the agent's uid is not known (${source})`,
        fix: 'set agent.user in the config to the agent runtime OS user',
      });
    } else if (agent.uid === 0) {
      findings.push({
        status: 'fail',
        text: 'the agent runs as root and can read every key and socket',
        fix: 'run the agent runtime as an unprivileged user of its own',
      });
    } else if (agent.uid === sidecar.uid) {
      findings.push({
        status: 'fail',
        text: `the agent and the sidecar share uid ${agent.uid}: the agent can read the keys and approve itself`,
        fix: 'run the sidecar as the dedicated mailwarden user and the agent as another user',
      });
    } else if (agent.gids?.includes(sidecar.gid)) {
      findings.push({
        status: 'warn',
        text: `the agent (uid ${agent.uid}) is in the sidecar's primary group ${sidecar.gid}`,
        fix: `remove the agent user from group ${sidecar.gid} (gpasswd -d <agent user> mailwarden)`,
      });
    }
  }
  return fromFindings(
    'process.uid_separation',
    true,
    findings,
    `sidecar uid ${sidecar.uid} differs from the agent's: ${describeAgents(agents)}`,
  );
}
