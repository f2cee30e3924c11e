// Fault injection: the sidecar is SIGKILLed while an approved send runs (and while one waits for approval).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidence } from './support/evidence.ts';
import { call } from './support/http.ts';
import { mailwarden, readOutbox, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

function gogCalls(gogHome: string): string[][] {
  const file = join(gogHome, 'fake-calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const SEND = {
  action: 'gmail.send',
  params: { to: ['sam@example.com'], subject: 'Budget', body: 'Numbers attached.' },
};
const GOG_SLEEP_MS = 2500;

describe('sidecar killed mid-approval and mid-execution (full profile)', () => {
  let s: TestSidecar;

  beforeAll(async () => {
    s = await startTestSidecar({ profile: 'full' });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  const sends = () => readOutbox(s.gogHome).filter((o) => o.command === 'gmail.send').length;
  const propose = async () => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', { key: s.agentKey, body: SEND });
    expect(r.status).toBe(202);
    return (r.json as { proposal: { id: string; status: string } }).proposal.id;
  };
  const status = async (id: string) => {
    const r = await call(s.agentSocket, 'GET', `/v1/proposals/${id}`, { key: s.agentKey });
    return (r.json as { proposal: { status: string; error?: { code: string } } }).proposal;
  };

  it('marks a send killed mid-execution outcome_unknown after restart and never runs it again', async () => {
    const id = await propose();
    const sendsBefore = sends();
    const callsBefore = gogCalls(s.gogHome).length;
    writeFileSync(join(s.gogHome, 'fake-faults.json'), JSON.stringify({ sleepMs: GOG_SLEEP_MS }));
    // The approve command waits for the execution; it is cut off when the sidecar dies.
    const approving = mailwarden(['approve', id, '--yes', '--config', s.configPath]);
    await until('gog to start the send', () =>
      gogCalls(s.gogHome)
        .slice(callsBefore)
        .some((argv) => argv.includes('send')),
    );
    await s.kill();
    const approveResult = await approving;
    expect(approveResult.code).not.toBe(0);
    rmSync(join(s.gogHome, 'fake-faults.json'), { force: true });

    s = await s.restart();
    const after = await status(id);
    expect(after.status).toBe('outcome_unknown');
    expect(after.error?.code).toBe('OUTCOME_UNKNOWN');
    const trail = readEvidence(s.evidenceDir).filter((e) => e.proposalId === id);
    expect(trail.filter((e) => e.type === 'execution_started')).toHaveLength(1);
    expect(trail.filter((e) => e.type === 'outcome_unknown')).toHaveLength(1);
    expect(trail.find((e) => e.type === 'outcome_unknown')?.data).toMatchObject({ reason: 'restart_after_claim' });

    // The orphaned gog may still finish its one send; nothing sends it a second time.
    await new Promise((res) => setTimeout(res, GOG_SLEEP_MS + 500));
    expect(sends() - sendsBefore).toBeLessThanOrEqual(1);
    const again = await mailwarden(['approve', id, '--yes', '--config', s.configPath]);
    expect(again.code).not.toBe(0);
    expect(`${again.stdout}${again.stderr}`).toContain('outcome_unknown');
    await new Promise((res) => setTimeout(res, 300));
    expect(sends() - sendsBefore).toBeLessThanOrEqual(1);
    expect((await status(id)).status).toBe('outcome_unknown');

    // A second restart does not touch it again.
    await s.stop();
    s = await s.restart();
    expect((await status(id)).status).toBe('outcome_unknown');
    expect(readEvidence(s.evidenceDir).filter((e) => e.proposalId === id && e.type === 'outcome_unknown')).toHaveLength(
      1,
    );
  });

  it('keeps a proposal pending across a kill and executes it exactly once when approved after restart', async () => {
    const id = await propose();
    const sendsBefore = sends();
    await s.kill();
    s = await s.restart();
    expect((await status(id)).status).toBe('pending_approval');
    const approved = await mailwarden(['approve', id, '--yes', '--config', s.configPath]);
    expect(approved.code).toBe(0);
    expect((await status(id)).status).toBe('executed');
    expect(sends() - sendsBefore).toBe(1);
    const twice = await mailwarden(['approve', id, '--yes', '--config', s.configPath]);
    expect(twice.code).not.toBe(0);
    expect(sends() - sendsBefore).toBe(1);
    const trail = readEvidence(s.evidenceDir).filter((e) => e.proposalId === id);
    expect(trail.filter((e) => e.type === 'execution_started')).toHaveLength(1);
    expect(trail.filter((e) => e.type === 'execution_finished')).toHaveLength(1);
  });

  it('leaves evidence that verifies intact after the kills', async () => {
    const v = await mailwarden(['evidence', 'verify', '--config', s.configPath, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ verdict: 'intact' });
  });
});
