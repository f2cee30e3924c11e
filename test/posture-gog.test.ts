// Posture's gog checks through a real spawned executable, plus the pure decision table and mode rules.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectChecks,
  createRealProbes,
  type PostureInput,
  type PostureProbes,
  postureMode,
  type RatedCheck,
} from '../sidecar/posture/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mw-posture-gog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in gog binary: a shell script that answers the two probe commands with the given JSON. */
function fakeGog(name: string, schema: string, auth: string, exit = 0): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh
case "$1" in
  schema) printf '%s\\n' '${schema}'; exit ${exit} ;;
  auth) [ "$GOG_HOME" = "${dir}" ] || { echo "wrong home $GOG_HOME" >&2; exit 10; }; printf '%s\\n' '${auth}'; exit ${exit} ;;
esac
echo "unexpected $*" >&2; exit 2
`,
  );
  chmodSync(path, 0o755);
  return path;
}

const baseInput: PostureInput = {
  sidecar: { uid: 4242, gid: 4242 },
  agent: { uid: 65534, gids: [65534], home: '/nonexistent' },
  paths: {
    config: '/nonexistent/c',
    policy: '/nonexistent/p',
    stateDir: '/nonexistent/s',
    evidenceDir: '/nonexistent/e',
    gogHome: dir,
    keys: [],
    agentSocket: '/nonexistent/a.sock',
    operatorSocket: '/nonexistent/o.sock',
  },
  approvalMode: 'eddsa',
  evidence: { verdict: 'intact', checkpointsExported: true },
  gog: { backend: 'gog', binary: '/bin/false', account: 'owner@example.com' },
  policyDeniesSend: true,
  bypassAttestation: { evidenceRef: 'ev-1' },
};

const baked = (name: string | null) =>
  JSON.stringify({
    automation: { safety: { baked_profile: name === null ? { enabled: false } : { enabled: true, name } } },
  });
const accounts = (entry: object) => JSON.stringify({ accounts: [entry] });

async function gogChecks(binary: string, input: Partial<PostureInput> = {}): Promise<Map<string, RatedCheck>> {
  const probes = createRealProbes({ gog: { binary, home: dir, timeoutMs: 5_000 } });
  const checks = await collectChecks({ ...baseInput, ...input, gog: { ...baseInput.gog, binary } }, probes);
  return new Map(checks.map((c) => [c.id, c]));
}

describe('gog.baked_profile and gog.auth through a spawned gog', () => {
  it('agent-safe baked profile and a valid grant both pass', async () => {
    const bin = fakeGog('ok', baked('agent-safe'), accounts({ email: 'Owner@example.com', valid: true }));
    const checks = await gogChecks(bin);
    expect(checks.get('gog.baked_profile')?.status).toBe('pass');
    expect(checks.get('gog.auth')?.status).toBe('pass');
  });

  it.each([
    ['no baked profile while policy denies send', null, true, 'warn'],
    ['no baked profile while policy allows send', null, false, 'pass'],
    ['an unknown profile while policy denies send', 'custom', true, 'unknown'],
    ['readonly while policy denies send', 'readonly', true, 'pass'],
    ['gog-agent-safe while policy denies send', 'gog-agent-safe', true, 'pass'],
  ])('%s → %s', async (_name, profile, denies, status) => {
    const bin = fakeGog(
      `p-${String(profile)}-${String(denies)}`,
      baked(profile as string | null),
      accounts({ email: 'x' }),
    );
    const checks = await gogChecks(bin, { policyDeniesSend: denies as boolean });
    expect(checks.get('gog.baked_profile')?.status).toBe(status);
  });

  it.each([
    [
      'an invalid grant',
      { email: 'owner@example.com', valid: false, error: 'token revoked' },
      'fail',
      'auth add owner@example.com',
    ],
    ['no grant for the account', { email: 'someone@example.com', valid: true }, 'fail', 'auth add owner@example.com'],
    ['a grant with no validity reported', { email: 'owner@example.com' }, 'unknown', 'auth list --check'],
  ])('%s → %s', async (name, entry, status, fix) => {
    const bin = fakeGog(`a-${name.replaceAll(' ', '-')}`, baked('agent-safe'), accounts(entry));
    const c = (await gogChecks(bin)).get('gog.auth');
    expect(c?.status).toBe(status);
    expect(c?.fix).toContain(fix);
  });

  it('a gog that fails or prints garbage makes both checks unknown, never pass', async () => {
    for (const bin of [fakeGog('broken', '{}', '{}', 1), fakeGog('garbage', 'not json', '[1]')]) {
      const checks = await gogChecks(bin);
      expect(checks.get('gog.baked_profile')?.status).toBe('unknown');
      expect(checks.get('gog.auth')?.status).toBe('unknown');
    }
  });

  it('the fake backend is warned as a development backend and gog is never spawned', async () => {
    const bin = fakeGog('unused', baked('agent-safe'), accounts({ email: 'owner@example.com', valid: true }));
    const probes = createRealProbes({ gog: { binary: bin, home: dir } });
    let spawned = 0;
    const counting: PostureProbes = {
      ...probes,
      gogSchema: () => {
        spawned += 1;
        return probes.gogSchema();
      },
      gogAuth: () => {
        spawned += 1;
        return probes.gogAuth();
      },
    };
    const checks = await collectChecks({ ...baseInput, gog: { ...baseInput.gog, backend: 'fake' } }, counting);
    const c = checks.find((x) => x.id === 'gog.baked_profile');
    expect(c?.status).toBe('warn');
    expect(c?.summary).toContain('development backend');
    expect(spawned).toBe(0);
  });
});

describe('service checks', () => {
  const probes = createRealProbes();
  const by = async (input: Partial<PostureInput>, id: string) =>
    (await collectChecks({ ...baseInput, gog: { ...baseInput.gog, backend: 'fake' }, ...input }, probes)).find(
      (c) => c.id === id,
    );

  it.each([
    ['eddsa', 'pass'],
    ['hs256', 'warn'],
  ] as const)('approvals.mode %s → %s', async (approvalMode, status) => {
    const c = await by({ approvalMode }, 'approvals.mode');
    expect(c?.status).toBe(status);
    if (status === 'warn') expect(c?.summary).toContain('weaker mode');
  });

  it.each([
    ['intact', 'pass'],
    ['tampered', 'fail'],
    ['cannot_verify', 'unknown'],
    ['unknown', 'unknown'],
  ] as const)('evidence.verify %s → %s', async (verdict, status) => {
    expect((await by({ evidence: { verdict, checkpointsExported: true } }, 'evidence.verify'))?.status).toBe(status);
  });

  it('unexported checkpoints warn', async () => {
    expect((await by({ evidence: { verdict: 'intact', checkpointsExported: false } }, 'evidence.export'))?.status).toBe(
      'warn',
    );
  });

  it('a bypass attestation passes only with an evidence reference', async () => {
    const { bypassAttestation: _omit, ...without } = baseInput;
    const missing = (await collectChecks({ ...without, gog: { ...baseInput.gog, backend: 'fake' } }, probes)).find(
      (c) => c.id === 'bypass.attestation',
    );
    expect(missing?.status).toBe('unknown');
    expect((await by({ bypassAttestation: { evidenceRef: '  ' } }, 'bypass.attestation'))?.status).toBe('unknown');
    const ok = await by({ bypassAttestation: { evidenceRef: 'ev-77' } }, 'bypass.attestation');
    expect(ok?.status).toBe('pass');
    expect(ok?.summary).toContain('ev-77');
  });

  it('a probe that throws becomes unknown instead of crashing or passing', async () => {
    const throwing: PostureProbes = {
      ...probes,
      stat: () => Promise.reject(new Error('EIO')),
      realpath: () => Promise.reject(new Error('EIO')),
    };
    const checks = await collectChecks({ ...baseInput, gog: { ...baseInput.gog, backend: 'fake' } }, throwing);
    expect(checks.find((c) => c.id === 'files.config.owner')?.status).toBe('unknown');
    expect(postureMode(checks)).not.toBe('hard_enforcement_ready');
  });
});

describe('postureMode', () => {
  const c = (status: RatedCheck['status'], required = true): RatedCheck => ({ id: 'x', status, required, summary: '' });
  it.each([
    [[c('pass'), c('warn')], 'hard_enforcement_ready'],
    [[c('pass'), c('unknown', false)], 'hard_enforcement_ready'],
    [[c('pass'), c('unknown')], 'cannot_determine'],
    [[c('unknown'), c('fail', false)], 'advisory'],
    [[c('fail'), c('pass')], 'advisory'],
    [[], 'hard_enforcement_ready'],
  ] as const)('%j → %s', (checks, mode) => {
    expect(postureMode(checks)).toBe(mode);
  });
});
