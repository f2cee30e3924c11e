// Works out who the agent is at the OS level: from config, else from the agent socket's group.
import type { Principal } from './access.ts';
import type { PostureInput, PostureProbes, UserInfo } from './types.ts';

export interface ResolvedAgents {
  /** Never empty: an agent nobody could identify is one principal with nothing known. */
  principals: Principal[];
  /** Where the identity came from, for summaries. */
  source: string;
}

async function fromUser(user: UserInfo, probes: PostureProbes, gidsHint?: number[]): Promise<Principal> {
  const groups = gidsHint ?? (await probes.groupsOf(user).then((g) => (g.kind === 'ok' ? g.value : undefined)));
  const principal: Principal = { uid: user.uid, name: user.name };
  if (groups !== undefined) principal.gids = [...new Set([user.gid, ...groups])];
  if (user.home !== undefined) principal.home = user.home;
  return principal;
}

export async function resolveAgents(input: PostureInput, probes: PostureProbes): Promise<ResolvedAgents> {
  const given = input.agent;
  if (given.user !== undefined) {
    const found = await probes.userByName(given.user);
    if (found.kind === 'ok') {
      const principal = await fromUser(found.value, probes, given.gids);
      if (given.uid !== undefined && given.uid !== found.value.uid) {
        // The configuration contradicts the system: trust neither.
        return { principals: [{ name: given.user }], source: `agent.user ${given.user} (uid disagrees with config)` };
      }
      if (given.home !== undefined) principal.home = given.home;
      return { principals: [principal], source: `agent.user ${given.user}` };
    }
  }
  if (given.uid !== undefined) {
    const principal: Principal = { uid: given.uid };
    if (given.user !== undefined) principal.name = given.user;
    if (given.gids !== undefined) principal.gids = [...given.gids];
    if (given.home !== undefined) principal.home = given.home;
    return { principals: [principal], source: `agent uid ${given.uid}` };
  }
  // Then the users of the configured agents' group, else of the agent socket's group (when not the sidecar's own).
  if (given.group !== undefined) {
    const gid = await probes.groupByName(given.group);
    if (gid.kind === 'ok') return fromGroup(gid.value, `agent.group ${given.group}`, input, probes);
  }
  const sock = await probes.stat(input.paths.agentSocket);
  if (sock.kind === 'ok' && sock.value.gid !== input.sidecar.gid) {
    return fromGroup(sock.value.gid, "the agent socket's group", input, probes);
  }
  const partial: Principal = {};
  if (given.gids !== undefined) partial.gids = [...given.gids];
  if (given.home !== undefined) partial.home = given.home;
  return { principals: [partial], source: 'unknown (set agent.user in the config)' };
}

async function fromGroup(
  gid: number,
  what: string,
  input: PostureInput,
  probes: PostureProbes,
): Promise<ResolvedAgents> {
  const members = await probes.groupMembers(gid);
  if (members.kind === 'ok') {
    // The service joins the agents' group to hand it the socket; it is not an agent.
    const agents = members.value.filter((m) => m.uid !== input.sidecar.uid);
    if (agents.length > 0) {
      const principals = await Promise.all(agents.map((m) => fromUser(m, probes)));
      return { principals, source: `members of ${what} ${gid} (${agents.map((a) => a.name).join(', ')})` };
    }
  }
  return { principals: [{ gids: [gid] }], source: `${what} ${gid} (members unknown)` };
}

export function describeAgents(principals: Principal[]): string {
  return principals
    .map((p) => {
      if (p.uid === undefined) return p.gids?.length ? `unknown uid in gid ${p.gids.join(',')}` : 'unknown user';
      return p.name ? `${p.name} (uid ${p.uid})` : `uid ${p.uid}`;
    })
    .join(', ');
}
