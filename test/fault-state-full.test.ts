// Fault injection: the state database's file system fills up (a real tiny tmpfs under state/). Every refusal is
// a 503 naming the store and the fix; nothing answered 5xx is in fact accepted, and nothing accepted is lost.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http.ts';
import { mailwarden, readOutbox, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

function canMountTmpfs(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'mw-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Fills the file system under `dir` until it reports ENOSPC; returns the filler's path. */
function fill(dir: string): string {
  const file = join(dir, 'filler.bin');
  const fd = openSync(file, 'a');
  try {
    for (const size of [65536, 4096, 512, 64, 1]) {
      const chunk = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

type Answer = { status: number; json: unknown };
const codeOf = (r: Answer) => (r.json as { error?: { code?: string } } | null)?.error?.code;
const messageOf = (r: Answer) => (r.json as { error?: { message?: string } } | null)?.error?.message ?? '';

describe.runIf(process.platform === 'linux' && canMountTmpfs())('state disk full, real sidecar on a tiny tmpfs', () => {
  let s: TestSidecar;
  let stateMount = '';
  let filler = '';
  let pendingSend = '';
  const answered: { status: number; id?: string }[] = [];

  beforeAll(async () => {
    s = await startTestSidecar({
      profile: 'full',
      prepare: (dir) => {
        stateMount = join(dir, 'state');
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', stateMount]);
      },
    });
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.send', params: { to: ['sam@example.com'], subject: 'Hi', body: 'Hello.' } },
    });
    expect(r.status).toBe(202);
    pendingSend = (r.json as { proposal: { id: string } }).proposal.id;
  });
  afterAll(async () => {
    await s?.stop();
    if (stateMount) execFileSync('umount', ['-l', stateMount], { stdio: 'ignore' });
    if (s) removeSetup(s);
  });

  it('answers 503 STATE_UNAVAILABLE naming the store and the fix, never 500', async () => {
    filler = fill(stateMount);
    let refusal: Answer | null = null;
    for (let i = 0; i < 400 && !refusal; i++) {
      const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: {
          action: i % 2 ? 'gmail.labels.list' : 'gmail.drafts.create',
          params: i % 2 ? {} : { to: ['sam@example.com'], subject: `n${i}`, body: 'x'.repeat(2000) },
        },
      });
      expect(r.status, r.text).not.toBe(500);
      const id = (r.json as { proposal?: { id: string } }).proposal?.id;
      answered.push({ status: r.status, ...(id ? { id } : {}) });
      if (r.status >= 500 && codeOf(r) !== 'EVIDENCE_UNAVAILABLE') refusal = r;
    }
    expect(refusal, 'the disk never filled').not.toBeNull();
    expect(refusal?.status).toBe(503);
    expect(codeOf(refusal!)).toBe('STATE_UNAVAILABLE');
    expect(messageOf(refusal!)).toMatch(/state database/);
    expect(messageOf(refusal!)).toMatch(/paths\.stateDir|free space/);
    expect((await call(s.agentSocket, 'GET', '/v1/health')).status).toBe(200);
  });

  it('an approval on the full disk is either refused with 503 and not applied, or applied and answered', async () => {
    const approve = await mailwarden(['approve', pendingSend, '--yes', '--config', s.configPath, '--json']);
    rmSync(filler);
    await checkApproval(pendingSend, approve, 'Hello.');
  });

  /** The invariant of an approval whatever the disk did: its answer says what happened, even after a restart. */
  async function checkApproval(id: string, approve: { code: number; stdout: string; stderr: string }, body: string) {
    const sends = () =>
      readOutbox(s.gogHome).filter((o) => o.command === 'gmail.send' && o.stdin?.includes(body)).length;
    const statusOf = async () =>
      ((await call(s.operatorSocket, 'GET', `/v1/proposals/${id}`)).json as { card: { status: string } }).card.status;
    const status = await statusOf();
    if (approve.code === 0) {
      if (status === 'approved') {
        // Recorded, then the disk refused the execution. Unclaimed, it runs at the next start, once; claimed,
        // it never runs again and the answer said so.
        const warning = (JSON.parse(approve.stdout) as { warning?: string }).warning ?? '';
        expect(warning).toMatch(/decision was recorded, then storage failed/);
        const claimed = /never run again/.test(warning);
        const sentBefore = sends();
        await s.stop();
        s = await s.restart();
        expect(await statusOf()).toBe(claimed ? 'outcome_unknown' : 'executed');
        expect(sends()).toBe(claimed ? sentBefore : 1);
        return claimed ? 'applied, claimed, outcome_unknown' : 'applied, ran at restart';
      }
      expect(status).toBe('executed');
      expect(sends()).toBe(1);
      return 'applied';
    }
    expect(`${approve.stdout}${approve.stderr}`).toMatch(/STATE_UNAVAILABLE|EVIDENCE_UNAVAILABLE/);
    expect(status).toBe('pending_approval');
    expect(sends()).toBe(0);
    return 'refused';
  }

  it('holds at every level of free space, across a restart', async () => {
    const outcomes: string[] = [];
    for (const freeKiB of [0, 4, 8, 16, 32, 64]) {
      const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: { action: 'gmail.send', params: { to: ['sam@example.com'], subject: 'Hi', body: `level ${freeKiB}` } },
      });
      if (r.status !== 202) continue;
      const id = (r.json as { proposal: { id: string } }).proposal.id;
      const f = fill(stateMount);
      // Give back freeKiB of space: the approval's writes may fit, partly fit or not fit at all.
      const { truncateSync, statSync } = await import('node:fs');
      truncateSync(f, Math.max(0, statSync(f).size - freeKiB * 1024));
      const approve = await mailwarden(['approve', id, '--yes', '--config', s.configPath, '--json']);
      rmSync(f);
      outcomes.push(`${freeKiB} KiB: ${await checkApproval(id, approve, `level ${freeKiB}`)}`);
    }
    await s.stop();
    s = await s.restart();
    expect(outcomes.length).toBeGreaterThan(0);
    process.stdout.write(`approval under a full state disk: ${outcomes.join(', ')}\n`);
  }, 180_000);

  it('stored exactly what it acknowledged: no 5xx answer left a proposal behind', async () => {
    const listed = (
      (await call(s.operatorSocket, 'GET', '/v1/proposals?limit=1000')).json as { proposals: { id: string }[] }
    ).proposals.map((p) => p.id);
    const acknowledged = answered.filter((a) => a.status < 500 && a.id).map((a) => a.id!);
    for (const id of acknowledged) expect(listed).toContain(id);
    const refused = answered.filter((a) => a.status >= 500).length;
    expect(refused).toBeGreaterThan(0);
  });
});
