// Posture against real files, real modes, real sockets and a real second uid in a temporary tree.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRealProbes, type PostureInput, runPosture, summarisePosture } from '../sidecar/posture/index.ts';

// The service user and the agent are distinct uids; the suite runs as root so it can chown to both.
const SVC = 4242;
const AGENT = 65534;
const AGENTS_GID = 4343;
const isRoot = process.getuid?.() === 0;

interface Tree {
  base: string;
  input: PostureInput;
  servers: Server[];
}

function mk(path: string, mode: number, uid = SVC, gid = SVC): string {
  mkdirSync(path, { recursive: true });
  chownSync(path, uid, gid);
  chmodSync(path, mode);
  return path;
}

function file(path: string, mode: number, uid = SVC, gid = SVC, body = 'x'): string {
  writeFileSync(path, body);
  chownSync(path, uid, gid);
  chmodSync(path, mode);
  return path;
}

async function listen(path: string, mode: number, uid: number, gid: number): Promise<Server> {
  const server = createServer((s) => {
    // The probing client may hang up first; that is not an error here.
    s.on('error', () => undefined);
    s.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  chownSync(path, uid, gid);
  chmodSync(path, mode);
  return server;
}

/** A deployment laid out the way install-linux.sh lays it out, inside a temp dir. */
async function buildTree(): Promise<Tree> {
  const base = mkdtempSync(join(tmpdir(), 'mw-posture-'));
  chmodSync(base, 0o755);
  const etc = mk(join(base, 'etc'), 0o750, 0, SVC);
  const config = file(join(etc, 'mailwarden.yaml'), 0o640, 0, SVC);
  const policy = file(join(etc, 'policy.yaml'), 0o640, 0, SVC);
  const state = mk(join(base, 'state'), 0o700);
  file(join(state, 'state.db'), 0o600);
  const evidence = mk(join(base, 'evidence'), 0o700);
  file(join(evidence, 'evidence.jsonl'), 0o600);
  const gog = mk(join(base, 'gog'), 0o700);
  const keys = mk(join(base, 'keys'), 0o700);
  const signing = file(join(keys, 'evidence.key'), 0o600);
  const blinding = file(join(keys, 'blinding.key'), 0o600);
  mk(join(base, 'home'), 0o755, 0, 0);
  const home = mk(join(base, 'home', 'agent'), 0o755, AGENT, AGENT);
  const run = mk(join(base, 'run'), 0o750, SVC, AGENTS_GID);
  const agentSocket = join(run, 'agent.sock');
  const operatorSocket = join(run, 'operator.sock');
  const servers = [await listen(agentSocket, 0o660, SVC, AGENTS_GID), await listen(operatorSocket, 0o600, SVC, SVC)];
  const input: PostureInput = {
    sidecar: { uid: SVC, gid: SVC },
    agent: { uid: AGENT, gids: [AGENT, AGENTS_GID], home },
    paths: {
      config,
      policy,
      stateDir: state,
      evidenceDir: evidence,
      gogHome: gog,
      keys: [signing, blinding],
      agentSocket,
      operatorSocket,
    },
    approvalMode: 'eddsa',
    evidence: { verdict: 'intact', checkpointsExported: true },
    gog: { backend: 'fake', binary: '/bin/false', account: 'owner@example.com' },
    policyDeniesSend: true,
    bypassAttestation: { evidenceRef: 'ev-000042' },
  };
  return { base, input, servers };
}

const probes = createRealProbes();
const trees: Tree[] = [];
let t: Tree;

beforeEach(async () => {
  t = await buildTree();
  trees.push(t);
});
afterEach(async () => {
  await Promise.all(t.servers.map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => {
  for (const tree of trees) rmSync(tree.base, { recursive: true, force: true });
});

async function check(input: PostureInput, id: string) {
  const p = await runPosture(input, probes);
  const c = p.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${p.checks.map((x) => x.id).join(', ')}`);
  return { posture: p, check: c };
}

describe.runIf(isRoot)('posture on a real tree', () => {
  it('a correct deployment is hard_enforcement_ready, with only the development backend warned', async () => {
    const p = await runPosture(t.input, probes);
    const notPass = p.checks.filter((c) => c.status !== 'pass');
    expect(notPass.map((c) => c.id).sort()).toEqual(['gog.auth', 'gog.baked_profile']);
    expect(p.mode).toBe('hard_enforcement_ready');
    for (const c of notPass) expect(c.fix).toMatch(/\S/);
  });

  it('every non-pass check carries a one-line fix', async () => {
    const input = { ...t.input, agent: {}, approvalMode: 'hs256' as const };
    chmodSync(t.input.paths.keys[0] as string, 0o644);
    const p = await runPosture(input, probes);
    for (const c of p.checks.filter((x) => x.status !== 'pass')) {
      expect(c.fix, c.id).toBeDefined();
      expect(c.fix).not.toContain('\n');
    }
  });

  it.each([
    ['same uid as the sidecar', { uid: SVC, gids: [SVC] }, 'fail'],
    ['root', { uid: 0, gids: [0] }, 'fail'],
    ['a different unprivileged uid', { uid: AGENT, gids: [AGENT] }, 'pass'],
  ])('uid separation with an agent that is %s', async (_name, agent, status) => {
    const { posture, check: c } = await check({ ...t.input, agent }, 'process.uid_separation');
    expect(c.status).toBe(status);
    if (status === 'fail') expect(posture.mode).toBe('advisory');
  });

  it('an agent running as root can read every key', async () => {
    const { check: c } = await check({ ...t.input, agent: { uid: 0 } }, 'files.keys.agent_access');
    expect(c.status).toBe('fail');
  });

  it('the sidecar running as root fails process.not_root', async () => {
    const { check: c } = await check({ ...t.input, sidecar: { uid: 0, gid: 0 } }, 'process.not_root');
    expect(c.status).toBe('fail');
    expect(c.fix).toContain('User=mailwarden');
  });

  it('a world-readable key fails with the chmod fix naming the file', async () => {
    const key = t.input.paths.keys[1] as string;
    chmodSync(key, 0o644);
    const { posture, check: c } = await check(t.input, 'files.keys.agent_access');
    expect(c.status).toBe('fail');
    expect(c.summary).toContain(key);
    expect(c.fix).toBe(`chmod 600 ${key}`);
    expect(posture.mode).toBe('advisory');
  });

  it('a key readable through the agent group fails; through another group passes', async () => {
    const key = t.input.paths.keys[0] as string;
    chmodSync(key, 0o640);
    chownSync(key, SVC, AGENTS_GID);
    expect((await check(t.input, 'files.keys.agent_access')).check.status).toBe('fail');
    chownSync(key, SVC, SVC);
    expect((await check(t.input, 'files.keys.agent_access')).check.status).toBe('pass');
  });

  it('a key owned by another user fails the owner check with a chown fix', async () => {
    const key = t.input.paths.keys[0] as string;
    chownSync(key, 1234, SVC);
    const { check: c } = await check(t.input, 'files.keys.owner');
    expect(c.status).toBe('fail');
    expect(c.fix).toMatch(new RegExp(`^chown .+ ${key}$`));
  });

  it('a missing key fails rather than passing silently', async () => {
    const input = { ...t.input, paths: { ...t.input.paths, keys: [join(t.base, 'keys', 'nope.key')] } };
    const { check: c } = await check(input, 'files.keys.owner');
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('does not exist');
  });

  it('a key symlinked into the agent home is caught after resolving the link', async () => {
    const home = t.input.agent.home as string;
    const real = file(join(home, 'stolen.key'), 0o600);
    const link = join(t.base, 'keys', 'linked.key');
    symlinkSync(real, link);
    const input = { ...t.input, paths: { ...t.input.paths, keys: [link] } };
    const root = await check(input, 'files.keys.agent_root');
    expect(root.check.status).toBe('fail');
    expect(root.check.summary).toContain(home);
    // The agent owns the directory the real file lives in, so it can swap the key too.
    const access = await check(input, 'files.keys.agent_access');
    expect(access.check.status).toBe('fail');
    expect(access.check.summary).toContain(real);
  });

  it('a symlink that sits in an agent-writable directory fails even when its target is safe', async () => {
    const dropbox = mk(join(t.base, 'dropbox'), 0o777, 0, 0);
    const link = join(dropbox, 'evidence.key');
    symlinkSync(t.input.paths.keys[0] as string, link);
    const input = { ...t.input, paths: { ...t.input.paths, keys: [link] } };
    const { check: c } = await check(input, 'files.keys.agent_access');
    expect(c.status).toBe('fail');
    expect(c.summary).toContain(dropbox);
    expect(c.fix).toContain(`chmod go-w ${dropbox}`);
  });

  it.each([
    [0o777, 'fail'],
    [0o1777, 'pass'],
    [0o775, 'pass'],
  ])('a grandparent directory of mode %o makes state %s', async (mode, status) => {
    const shared = mk(join(t.base, 'shared'), mode, 0, 0);
    const state = mk(join(shared, 'state'), 0o700);
    const input = { ...t.input, paths: { ...t.input.paths, stateDir: state } };
    expect((await check(input, 'files.state.agent_access')).check.status).toBe(status);
  });

  it('a group-writable parent fails only when the agent is in that group', async () => {
    const parent = mk(join(t.base, 'grp'), 0o770, SVC, AGENTS_GID);
    const gog = mk(join(parent, 'gog'), 0o700);
    const input = { ...t.input, paths: { ...t.input.paths, gogHome: gog } };
    expect((await check(input, 'files.gog_home.agent_access')).check.status).toBe('fail');
    chownSync(parent, SVC, SVC);
    expect((await check(input, 'files.gog_home.agent_access')).check.status).toBe('pass');
  });

  it('a state file inside the state directory that the agent can write is found', async () => {
    const db = join(t.input.paths.stateDir, 'state.db');
    chmodSync(t.input.paths.stateDir, 0o755);
    chmodSync(db, 0o666);
    const { check: c } = await check(t.input, 'files.state.agent_access');
    expect(c.status).toBe('fail');
    expect(c.summary).toContain(db);
  });

  it('the gog home readable by the agent fails: it holds OAuth tokens', async () => {
    chmodSync(t.input.paths.gogHome, 0o755);
    const { check: c } = await check(t.input, 'files.gog_home.agent_access');
    expect(c.status).toBe('fail');
    expect(c.fix).toBe(`chmod 700 ${t.input.paths.gogHome}`);
  });

  it('the gog home with no known agent home is unknown, never pass', async () => {
    const input = { ...t.input, agent: { uid: AGENT, gids: [AGENT] } };
    const { posture, check: c } = await check(input, 'files.gog_home.agent_root');
    expect(c.status).toBe('unknown');
    expect(posture.mode).toBe('cannot_determine');
  });

  it('with nothing known about the agent, agent checks are unknown and the mode is cannot_determine', async () => {
    chownSync(t.input.paths.agentSocket, SVC, SVC);
    const p = await runPosture({ ...t.input, agent: {} }, probes);
    const byId = new Map(p.checks.map((c) => [c.id, c.status]));
    for (const id of [
      'process.uid_separation',
      'files.keys.agent_access',
      'files.state.agent_root',
      'sockets.operator.mode',
    ]) {
      expect(byId.get(id), id).toBe('unknown');
    }
    expect(p.mode).toBe('cannot_determine');
  });

  it('a known home but an unknown uid still leaves agent_root unknown (the agent might own a parent)', async () => {
    chownSync(t.input.paths.agentSocket, SVC, SVC);
    const input = { ...t.input, agent: { gids: [AGENTS_GID], home: t.input.agent.home as string } };
    const { check: c } = await check(input, 'files.keys.agent_root');
    expect(c.status).toBe('unknown');
  });

  it('an empty key list is unknown on all three key checks, never a vacuous pass', async () => {
    const p = await runPosture({ ...t.input, paths: { ...t.input.paths, keys: [] } }, probes);
    const keyChecks = p.checks.filter((c) => c.id.startsWith('files.keys.'));
    expect(keyChecks.map((c) => [c.id, c.status])).toEqual([
      ['files.keys.owner', 'unknown'],
      ['files.keys.agent_access', 'unknown'],
      ['files.keys.agent_root', 'unknown'],
    ]);
  });

  it("derives the agent from the agent socket's group when the config names no user", async () => {
    // nobody's primary group (65534) stands in for mailwarden-agents: its members are real system users.
    chownSync(t.input.paths.agentSocket, SVC, AGENT);
    const { check: c } = await check({ ...t.input, agent: {} }, 'process.uid_separation');
    expect(c.status).toBe('pass');
    expect(c.summary).toContain('uid 65534');
  });

  it('derives the agent from agent.group when no user is configured', async () => {
    chownSync(t.input.paths.agentSocket, SVC, SVC);
    const { check: c } = await check({ ...t.input, agent: { group: 'nogroup' } }, 'process.uid_separation');
    expect(c.status).toBe('pass');
    expect(c.summary).toContain('nobody (uid 65534)');
  });

  it('resolves agent.user through the system user database', async () => {
    const { check: c } = await check({ ...t.input, agent: { user: 'nobody' } }, 'process.uid_separation');
    expect(c.status).toBe('pass');
    expect(c.summary).toContain('nobody (uid 65534)');
  });

  it.each([
    [0o600, SVC, 'pass'],
    [0o660, SVC, 'pass'],
    [0o660, AGENTS_GID, 'fail'],
    [0o666, SVC, 'fail'],
  ])('operator socket mode %o group %i is %s', async (mode, gid, status) => {
    chmodSync(t.input.paths.operatorSocket, mode);
    chownSync(t.input.paths.operatorSocket, SVC, gid);
    expect((await check(t.input, 'sockets.operator.mode')).check.status).toBe(status);
  });

  it('an operator socket owned by someone else fails', async () => {
    chownSync(t.input.paths.operatorSocket, AGENT, SVC);
    const { check: c } = await check(t.input, 'sockets.operator.mode');
    expect(c.status).toBe('fail');
  });

  it('an agent-writable runtime directory fails both sockets (the agent could plant a fake operator socket)', async () => {
    chmodSync(join(t.base, 'run'), 0o770);
    expect((await check(t.input, 'sockets.operator.mode')).check.status).toBe('fail');
    expect((await check(t.input, 'sockets.agent.mode')).check.status).toBe('fail');
  });

  it('an agent socket the agent cannot reach warns; a world-connectable one warns', async () => {
    chownSync(t.input.paths.agentSocket, SVC, SVC);
    expect((await check(t.input, 'sockets.agent.mode')).check.status).toBe('warn');
    chmodSync(t.input.paths.agentSocket, 0o666);
    expect((await check(t.input, 'sockets.agent.mode')).check.status).toBe('warn');
  });

  it('a checkpoint export directory the agent can write fails evidence.export', async () => {
    const dir = mk(join(t.base, 'export'), 0o777, 0, 0);
    const input = { ...t.input, paths: { ...t.input.paths, checkpointExportDir: dir } };
    expect((await check(input, 'evidence.export')).check.status).toBe('fail');
    chmodSync(dir, 0o755);
    expect((await check(input, 'evidence.export')).check.status).toBe('pass');
  });

  it('summarises failures first, with their fixes', async () => {
    chmodSync(t.input.paths.keys[0] as string, 0o644);
    const text = summarisePosture(await runPosture(t.input, probes));
    const lines = text.split('\n');
    expect(lines[0]).toContain('advisory');
    expect(lines[2]).toMatch(/^ {2}FAIL files\.keys\.agent_access/);
    expect(lines[3]).toContain('fix: chmod 600');
  });
});

/** Runs a command as the agent's real uid, to compare posture's verdict with what the kernel allows. */
function asAgent(cmd: string): boolean {
  const r = spawnSync(
    'setpriv',
    ['--reuid', String(AGENT), '--regid', String(AGENT), '--clear-groups', 'sh', '-c', cmd],
    {
      encoding: 'utf8',
    },
  );
  if (r.error) throw r.error;
  return r.status === 0;
}

const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

describe.runIf(isRoot && hasSetpriv)('posture agrees with the kernel for a real second uid', () => {
  it.each([
    [0o600, false],
    [0o640, false],
    [0o644, true],
  ])('key mode %o: the agent uid can read it = %s', async (mode, readable) => {
    const key = t.input.paths.keys[0] as string;
    // Open the key directory for traversal so only the key's own mode decides.
    chmodSync(join(t.base, 'keys'), 0o755);
    chmodSync(key, mode);
    const input = { ...t.input, agent: { uid: AGENT, gids: [AGENT], home: t.input.agent.home as string } };
    expect(asAgent(`cat ${key} >/dev/null 2>&1`)).toBe(readable);
    const { check: c } = await check(input, 'files.keys.agent_access');
    expect(c.status).toBe(readable ? 'fail' : 'pass');
  });

  it.each([
    [0o600, false],
    [0o666, true],
  ])('operator socket mode %o: the agent uid can connect = %s', async (mode, reachable) => {
    chmodSync(join(t.base, 'run'), 0o755);
    chmodSync(t.input.paths.operatorSocket, mode);
    const script = `require('net').connect(process.argv[1]).on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`;
    expect(asAgent(`${process.execPath} -e "${script}" ${t.input.paths.operatorSocket}`)).toBe(reachable);
    const { check: c } = await check(t.input, 'sockets.operator.mode');
    expect(c.status).toBe(reachable ? 'fail' : 'pass');
  });
});

describe('posture needs root to build its fixtures', () => {
  it('runs as root here, or CI is not set', () => {
    // SECURITY: without root the real-file suites above cannot chown; in CI that must be loud, not silent.
    if (process.env.CI === 'true') expect(isRoot && hasSetpriv).toBe(true);
    else expect(typeof isRoot).toBe('boolean');
  });
});
