// Runs every posture check against the live machine and decides the enforcement mode.
import { dirname } from 'node:path';
import type { Posture } from '../../shared/wire.ts';
import { anyOf, canAccess, canReplaceEntry } from './access.ts';
import { resolveAgents } from './agents.ts';
import { agentAccessCheck, agentRootCheck, type FileContext, type FileTarget, ownerCheck } from './check-files.ts';
import { authCheck, bakedProfileCheck } from './check-gog.ts';
import { notifySinksCheck } from './check-notify.ts';
import { notRootCheck, uidSeparationCheck } from './check-process.ts';
import {
  approvalModeCheck,
  bypassAttestationCheck,
  evidenceExportCheck,
  evidenceGapCheck,
  evidenceVerifyCheck,
} from './check-service.ts';
import { agentSocketCheck, operatorSocketCheck } from './check-sockets.ts';
import { type Inspected, inspectPath } from './inspect-path.ts';
import { type RatedCheck, sh } from './rated-check.ts';
import type { PostureInput, PostureProbes, Probed } from './types.ts';

/** Any fail → advisory; else any unknown on a required check → cannot_determine; else ready. */
export function postureMode(checks: readonly RatedCheck[]): Posture['mode'] {
  if (checks.some((c) => c.status === 'fail')) return 'advisory';
  if (checks.some((c) => c.required && c.status === 'unknown')) return 'cannot_determine';
  return 'hard_enforcement_ready';
}

// INVARIANT: a probe that throws is an observation that failed, never a pass.
function guard(probes: PostureProbes): PostureProbes {
  const wrap =
    <A extends unknown[], T>(f: (...a: A) => Promise<Probed<T>>) =>
    async (...a: A): Promise<Probed<T>> => {
      try {
        return await f(...a);
      } catch (err) {
        return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
      }
    };
  return {
    stat: wrap(probes.stat.bind(probes)),
    lstat: wrap(probes.lstat.bind(probes)),
    realpath: wrap(probes.realpath.bind(probes)),
    readdir: wrap(probes.readdir.bind(probes)),
    gogSchema: wrap(probes.gogSchema.bind(probes)),
    gogAuth: wrap(probes.gogAuth.bind(probes)),
    userByName: wrap(probes.userByName.bind(probes)),
    userByUid: wrap(probes.userByUid.bind(probes)),
    groupsOf: wrap(probes.groupsOf.bind(probes)),
    groupByName: wrap(probes.groupByName.bind(probes)),
    groupMembers: wrap(probes.groupMembers.bind(probes)),
  };
}

function fileTargets(input: PostureInput): FileTarget[] {
  const p = input.paths;
  const base = { secret: false, rootMayOwn: false, private: false };
  return [
    { ...base, kind: 'config', paths: [p.config], rootMayOwn: true, configKey: 'the --config path' },
    { ...base, kind: 'policy', paths: [p.policy], rootMayOwn: true, configKey: 'policy' },
    { ...base, kind: 'state', paths: [p.stateDir], private: true, configKey: 'paths.stateDir' },
    { ...base, kind: 'evidence', paths: [p.evidenceDir], private: true, configKey: 'paths.evidenceDir' },
    { ...base, kind: 'gog_home', paths: [p.gogHome], secret: true, configKey: 'gog.home' },
    { ...base, kind: 'keys', paths: [...p.keys], secret: true, configKey: 'the key paths in the config' },
  ];
}

export async function runPosture(input: PostureInput, rawProbes: PostureProbes): Promise<Posture> {
  const checks = await collectChecks(input, rawProbes);
  return {
    mode: postureMode(checks),
    checks: checks.map(({ required: _required, ...check }) => check),
  };
}

/** The checks with their `required` flag, for callers that want to reason about them. */
export async function collectChecks(input: PostureInput, rawProbes: PostureProbes): Promise<RatedCheck[]> {
  const probes = guard(rawProbes);
  const agents = await resolveAgents(input, probes);
  const me = await probes.userByUid(input.sidecar.uid);
  const serviceOwner = me.kind === 'ok' ? `${me.value.name}:` : `${input.sidecar.uid}:${input.sidecar.gid}`;
  const ctx: FileContext = { sidecarUid: input.sidecar.uid, serviceOwner, agents: agents.principals, probes };

  const targets = fileTargets(input);
  const allPaths = [...new Set(targets.flatMap((t) => t.paths))];
  const inspected = new Map<string, Inspected>(
    await Promise.all(allPaths.map(async (p) => [p, await inspectPath(p, probes)] as const)),
  );

  const checks: RatedCheck[] = [
    notRootCheck(input.sidecar.uid),
    uidSeparationCheck(input.sidecar, agents.principals, agents.source),
  ];
  for (const target of targets) {
    if (target.paths.length === 0) {
      // The sidecar always holds at least the evidence keys: an empty list is a wiring mistake, not a pass.
      for (const aspect of ['owner', 'agent_access', 'agent_root']) {
        checks.push({
          id: `files.${target.kind}.${aspect}`,
          required: true,
          status: 'unknown',
          summary: 'no key paths were given to check',
          fix: 'pass every private key path (evidence signing and blinding keys, agent key) to posture',
        });
      }
      continue;
    }
    checks.push(ownerCheck(inspected, target, ctx));
    checks.push(agentAccessCheck(inspected, target, ctx));
    checks.push(await agentRootCheck(inspected, target, ctx));
  }

  const [agentSock, operatorSock, agentDir, operatorDir] = await Promise.all([
    probes.lstat(input.paths.agentSocket),
    probes.lstat(input.paths.operatorSocket),
    inspectPath(dirname(input.paths.agentSocket), probes),
    inspectPath(dirname(input.paths.operatorSocket), probes),
  ]);
  checks.push(agentSocketCheck(input.paths.agentSocket, agentSock, agentDir, input.sidecar.uid, agents.principals));
  checks.push(
    operatorSocketCheck(input.paths.operatorSocket, operatorSock, operatorDir, input.sidecar.uid, agents.principals),
  );

  checks.push(approvalModeCheck(input.approvalMode));
  checks.push(evidenceVerifyCheck(input.evidence.verdict));
  if (input.evidence.gaps) checks.push(evidenceGapCheck(input.evidence.gaps));
  checks.push(await exportCheck(input, ctx));

  const real = input.gog.backend === 'gog';
  const [schema, auth] = real ? await Promise.all([probes.gogSchema(), probes.gogAuth()]) : [null, null];
  checks.push(bakedProfileCheck(input, schema));
  checks.push(authCheck(input, auth));
  checks.push(bypassAttestationCheck(input.bypassAttestation));
  if (input.notify) checks.push(notifySinksCheck(input.notify));
  return checks;
}

async function exportCheck(input: PostureInput, ctx: FileContext): Promise<RatedCheck> {
  const base = evidenceExportCheck(input.evidence.checkpointsExported);
  const dir = input.paths.checkpointExportDir;
  if (dir === undefined) return base;
  const r = await inspectPath(dir, ctx.probes);
  if (r.kind !== 'ok') {
    return {
      ...base,
      status: 'warn',
      summary: `checkpoint export directory ${dir} is missing`,
      fix: `create ${sh(dir)} owned by the service user`,
    };
  }
  const v = r.value;
  const write = anyOf(ctx.agents.map((p) => canAccess(v.target, p, 'write')));
  const replace = anyOf(v.steps.flatMap((s) => ctx.agents.map((p) => canReplaceEntry(s.dirStat, s.childStat, p))));
  if (anyOf([write, replace]) === 'yes') {
    return {
      ...base,
      status: 'fail',
      summary: `the agent can alter exported checkpoints in ${v.realPath}`,
      fix: `chmod go-w ${sh(v.realPath)} and its parents, or export to a directory the agent cannot write`,
    };
  }
  return base;
}
