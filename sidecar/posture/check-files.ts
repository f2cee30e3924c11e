// Ownership and agent-reachability of the files and directories the sidecar trusts (files.<kind>.*).
import { sep } from 'node:path';
import { anyOf, canAccess, canReplaceEntry, controls, formatMode, type Principal, type Tri } from './access.ts';
import { describeProbe, type Inspected, type PathInspection } from './inspect-path.ts';
import { type Finding, fromFindings, type RatedCheck, sh } from './rated-check.ts';
import type { PostureProbes } from './types.ts';

export const FILE_KINDS = ['config', 'policy', 'state', 'evidence', 'gog_home', 'keys'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

export interface FileTarget {
  kind: FileKind;
  paths: string[];
  /** The agent must not read it (keys, gog's OAuth tokens). */
  secret: boolean;
  /** Read-only to the service, so root may own it instead of the service user. */
  rootMayOwn: boolean;
  /** The agent reading it is worth a warning (mail bodies, other agents' proposals). */
  private: boolean;
  /** Config key to edit when the path must move. */
  configKey: string;
}

export interface FileContext {
  sidecarUid: number;
  serviceOwner: string;
  agents: Principal[];
  probes: PostureProbes;
}

function pathsOf(inspected: Map<string, Inspected>, target: FileTarget): [string, Inspected][] {
  return target.paths.map((p) => [p, inspected.get(p) ?? { kind: 'error', message: 'not inspected' }]);
}

function notObserved(path: string, r: Inspected, target: FileTarget): Finding {
  if (r.kind === 'missing') {
    return {
      status: 'fail',
      text: `${path} does not exist`,
      fix: `create it (mailwarden init writes a complete setup) or correct ${target.configKey} in the config`,
    };
  }
  return {
    status: 'unknown',
    text: `${path} could not be observed: ${describeProbe(r)}`,
    fix: `run posture as the service user with access to ${path}`,
  };
}

export function ownerCheck(inspected: Map<string, Inspected>, target: FileTarget, ctx: FileContext): RatedCheck {
  const findings: Finding[] = [];
  for (const [path, r] of pathsOf(inspected, target)) {
    if (r.kind !== 'ok') {
      findings.push(notObserved(path, r, target));
      continue;
    }
    const uid = r.value.target.uid;
    if (uid === ctx.sidecarUid || (target.rootMayOwn && uid === 0)) continue;
    findings.push({
      status: 'fail',
      text: `${r.value.realPath} is owned by uid ${uid}, not the service user (uid ${ctx.sidecarUid})`,
      fix: `chown ${ctx.serviceOwner} ${sh(r.value.realPath)}`,
    });
  }
  const who = target.rootMayOwn ? 'the service user or root' : 'the service user';
  return fromFindings(`files.${target.kind}.owner`, true, findings, `owned by ${who}`);
}

function triFinding(t: Tri, text: string, fix: string, unknownFix: string): Finding | null {
  if (t === 'yes') return { status: 'fail', text, fix };
  if (t === 'unknown') return { status: 'unknown', text: `cannot tell whether ${text}`, fix: unknownFix };
  return null;
}

const IDENTIFY_AGENT = 'set agent.user in the config to the agent runtime OS user';

function accessFindings(v: PathInspection, target: FileTarget, ctx: FileContext): Finding[] {
  const agents = ctx.agents;
  const out: Finding[] = [];
  const push = (f: Finding | null): void => {
    if (f) out.push(f);
  };
  const all = (f: (p: Principal) => Tri): Tri => anyOf(agents.map(f));
  const isDir = v.target.isDirectory;
  const real = sh(v.realPath);
  const linked = v.realPath !== v.path ? ` (via symlink ${v.path})` : '';

  push(
    triFinding(
      all((p) => canAccess(v.target, p, 'write')),
      `the agent can write ${v.realPath}${linked} (mode ${formatMode(v.target.mode)})`,
      all((p) => controls(v.target, p)) === 'yes' ? `chown ${ctx.serviceOwner} ${real}` : `chmod go-w ${real}`,
      IDENTIFY_AGENT,
    ),
  );
  if (target.secret) {
    const read = all((p) => (isDir ? canAccess(v.target, p, 'exec') : canAccess(v.target, p, 'read')));
    push(
      triFinding(
        read,
        `the agent can ${isDir ? 'enter' : 'read'} ${v.realPath}${linked} (mode ${formatMode(v.target.mode)})`,
        `chmod ${isDir ? '700' : '600'} ${real}`,
        IDENTIFY_AGENT,
      ),
    );
  } else if (target.private) {
    const read = all((p) => (isDir ? canAccess(v.target, p, 'exec') : canAccess(v.target, p, 'read')));
    if (read === 'yes') {
      out.push({
        status: 'warn',
        text: `the agent can ${isDir ? 'enter' : 'read'} ${v.realPath}, which holds mail content`,
        fix: `chmod ${isDir ? '700' : '600'} ${real}`,
      });
    }
  }
  for (const step of v.steps) {
    push(
      triFinding(
        all((p) => canReplaceEntry(step.dirStat, step.childStat, p)),
        `the agent can replace ${step.child} because it can write ${step.dir} (mode ${formatMode(step.dirStat.mode)})`,
        `chmod go-w ${sh(step.dir)}, or move ${v.path} out of ${step.dir} and update ${target.configKey}`,
        IDENTIFY_AGENT,
      ),
    );
  }
  if (isDir) {
    const enter = all((p) => canAccess(v.target, p, 'exec'));
    if (enter !== 'no') {
      for (const child of v.children) {
        const write = all((p) => canAccess(child.stat, p, 'write'));
        const read = target.secret && !child.stat.isDirectory ? all((p) => canAccess(child.stat, p, 'read')) : 'no';
        const reach = anyOf([write, read]);
        const t = reach === 'no' ? 'no' : enter === 'yes' ? reach : 'unknown';
        push(
          triFinding(
            t,
            `the agent can ${write === 'no' ? 'read' : 'write'} ${child.path} (mode ${formatMode(child.stat.mode)})`,
            `chmod go-rwx ${sh(child.path)}`,
            IDENTIFY_AGENT,
          ),
        );
      }
    }
  }
  for (const b of v.blind) {
    out.push({
      status: 'unknown',
      text: `could not observe ${b}`,
      fix: `make ${b.split(':')[0]} readable to the service user`,
    });
  }
  return out;
}

export function agentAccessCheck(inspected: Map<string, Inspected>, target: FileTarget, ctx: FileContext): RatedCheck {
  const findings: Finding[] = [];
  for (const [path, r] of pathsOf(inspected, target)) {
    if (r.kind !== 'ok') findings.push(notObserved(path, r, target));
    else findings.push(...accessFindings(r.value, target, ctx));
  }
  const what = target.secret ? 'neither readable nor writable' : 'not writable';
  return fromFindings(`files.${target.kind}.agent_access`, true, findings, `${what} by the agent, parents included`);
}

function isUnder(path: string, root: string): boolean {
  if (root === sep) return false;
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export async function agentRootCheck(
  inspected: Map<string, Inspected>,
  target: FileTarget,
  ctx: FileContext,
): Promise<RatedCheck> {
  const findings: Finding[] = [];
  const homes: string[] = [];
  for (const agent of ctx.agents) {
    if (agent.uid === 0) {
      findings.push({
        status: 'fail',
        text: 'the agent runs as root: every path is under its reach',
        fix: 'run the agent as an unprivileged user',
      });
      continue;
    }
    if (agent.home === undefined) {
      findings.push({
        status: 'unknown',
        text: "the agent's home directory is not known, so its readable roots cannot be excluded",
        fix: IDENTIFY_AGENT,
      });
      continue;
    }
    homes.push(agent.home);
    const real = await ctx.probes.realpath(agent.home);
    if (real.kind === 'ok' && real.value !== agent.home) homes.push(real.value);
  }
  for (const [path, r] of pathsOf(inspected, target)) {
    if (r.kind !== 'ok') {
      findings.push(notObserved(path, r, target));
      continue;
    }
    const v = r.value;
    for (const home of homes) {
      if (isUnder(v.realPath, home) || isUnder(v.path, home)) {
        findings.push({
          status: 'fail',
          text: `${v.realPath} is inside the agent's home ${home}`,
          fix: `move it under the service's own directory (e.g. /var/lib/mailwarden) and update ${target.configKey}`,
        });
      }
    }
    for (const step of v.steps) {
      // Root was reported above; here only ownership by an unprivileged agent counts.
      const owned = anyOf(ctx.agents.map((p) => (p.uid === 0 ? 'no' : controls(step.dirStat, p))));
      if (owned === 'yes') {
        findings.push({
          status: 'fail',
          text: `${v.realPath} is under ${step.dir}, which the agent owns`,
          fix: `move it under the service's own directory and update ${target.configKey}`,
        });
      } else if (owned === 'unknown') {
        findings.push({
          status: 'unknown',
          text: `cannot tell whether the agent owns ${step.dir}`,
          fix: IDENTIFY_AGENT,
        });
        break;
      }
    }
  }
  return fromFindings(
    `files.${target.kind}.agent_root`,
    true,
    findings,
    "not under the agent's home or any directory it owns",
  );
}
