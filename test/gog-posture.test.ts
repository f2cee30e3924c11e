// `mailwarden posture` against the real gog: on a fresh gog home it names the first missing step of the
// real-gog setup (OAuth client, then a least-privilege grant), not just "no grant".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectChecks, createRealProbes, type PostureInput } from '../sidecar/posture/index.ts';
import { requireRealGog } from './support/real-gog.ts';

const real = requireRealGog('gog posture');
const home = mkdtempSync(join(tmpdir(), 'mw-gogposture-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function input(binary: string, policyDeniesSend: boolean): PostureInput {
  return {
    sidecar: { uid: 4242, gid: 4242 },
    agent: { uid: 65534, gids: [65534], home: '/nonexistent' },
    paths: {
      config: '/nonexistent/c',
      policy: '/nonexistent/p',
      stateDir: '/nonexistent/s',
      evidenceDir: '/nonexistent/e',
      gogHome: home,
      keys: [],
      agentSocket: '/nonexistent/a.sock',
      operatorSocket: '/nonexistent/o.sock',
    },
    approvalMode: 'eddsa',
    evidence: { verdict: 'intact', checkpointsExported: true },
    gog: { backend: 'gog', binary, account: 'owner@example.com' },
    policyDeniesSend,
    bypassAttestation: { evidenceRef: 'ev-1' },
  };
}

describe.skipIf(!real)('posture names the missing real-gog step', () => {
  it.each([
    [true, '--services gmail,calendar --readonly'],
    [false, '--services gmail,calendar --manual'],
  ])('policy never sends: %s → OAuth client first, then %s', async (denies, scopes) => {
    const probes = createRealProbes({ gog: { binary: real!.binary, home, timeoutMs: 20_000 } });
    const checks = await collectChecks(input(real!.binary, denies), probes);
    const auth = checks.find((c) => c.id === 'gog.auth');
    expect(auth?.status).toBe('fail');
    expect(auth?.fix).toContain('auth credentials client_secret.json');
    expect(auth?.fix).toContain('step 1');
    expect(auth?.fix).toContain(scopes);
    expect(auth?.fix).toContain('docs/deployment.md');
  });
});
