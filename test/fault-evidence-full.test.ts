// Fault injection: the evidence path runs out of space. Nothing may execute that cannot be evidenced.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionName } from '../shared/index.ts';
import { type EvidenceFsOps, generateEvidenceKeys, nodeFsOps, openEvidenceLog } from '../sidecar/evidence/index.ts';
import type { GogExecutor } from '../sidecar/exec/types.ts';
import { loadPolicy } from '../sidecar/policy/index.ts';
import { createProposalService, ProposalError } from '../sidecar/proposals/index.ts';
import { CORE_MIGRATIONS, openStateDb } from '../sidecar/state/index.ts';
import { call } from './support/http.ts';
import {
  mailwarden,
  REPO_ROOT,
  readOutbox,
  removeSetup,
  startTestSidecar,
  type TestSidecar,
} from './support/sidecar.ts';

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
}

describe('evidence disk full, in process (injected failing writes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-fault-ev-'));
  let full = false;
  /** How many more writes succeed before the disk is "full"; Infinity = unlimited. */
  let writesLeft = Number.POSITIVE_INFINITY;
  const real = nodeFsOps();
  const fsOps: EvidenceFsOps = {
    ...real,
    async write(fd, data) {
      if (full || writesLeft <= 0) throw enospc();
      writesLeft--;
      return real.write(fd, data);
    },
  };
  const executed: ActionName[] = [];
  const executor: GogExecutor = {
    async execute(action) {
      executed.push(action);
      return {
        ok: true,
        result: { labels: [] },
        info: { exitCode: 0, durationMs: 1, stdoutDigest: 'sha256:0', stderrDigest: 'sha256:0', attempts: 1 },
      };
    },
    readDraft: async () => ({ ok: false as const, code: 'GOG_FAILED' as const, message: 'no drafts here' }),
  };
  let service: ReturnType<typeof createProposalService>;
  let closeAll: () => Promise<void>;

  beforeAll(async () => {
    const keys = generateEvidenceKeys();
    const evidence = await openEvidenceLog({
      dir: join(dir, 'evidence'),
      signingKey: createPrivateKey(keys.privateKeyPem),
      blindingKey: Buffer.alloc(32, 3),
      origin: 'mailwarden/test',
      fsOps,
    });
    const db = openStateDb({ file: join(dir, 'state.db'), migrations: CORE_MIGRATIONS });
    service = createProposalService({
      db,
      policy: loadPolicy(join(REPO_ROOT, 'policies', 'draft_assist.yaml')),
      executor,
      // draft_assist allows what this test runs; nothing waits for approval.
      approvals: async () => ({ ok: true }),
      evidence,
      now: () => new Date(),
      newId: () => randomUUID(),
    });
    closeAll = async () => {
      full = false;
      writesLeft = Number.POSITIVE_INFINITY;
      await evidence.close();
      db.close();
    };
  });
  afterAll(async () => {
    await closeAll?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a proposal with EVIDENCE_UNAVAILABLE before anything is stored or run', async () => {
    full = true;
    const err = await service.submit('agent', { action: 'gmail.labels.list', params: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProposalError);
    expect((err as ProposalError).code).toBe('EVIDENCE_UNAVAILABLE');
    expect((err as ProposalError).message).toMatch(/disk space/);
    expect(service.list(null)).toHaveLength(0);
    expect(executed).toHaveLength(0);
    full = false;
  });

  it('never runs gog when the disk fills between the submission and the execution record', async () => {
    writesLeft = 1; // proposal_submitted is written, execution_started is not
    const rec = await service.submit('agent', {
      action: 'gmail.drafts.create',
      params: { to: ['sam@example.com'], subject: 'Plan', body: 'Draft.' },
    });
    writesLeft = Number.POSITIVE_INFINITY;
    expect(rec.row.status).toBe('failed');
    expect(JSON.parse(rec.row.error ?? '{}')).toMatchObject({ code: 'EVIDENCE_UNAVAILABLE' });
    expect(executed).toHaveLength(0);
    // The claim is settled: it can never run later either.
    await service.execute(rec.row.id);
    expect(executed).toHaveLength(0);
  });

  it('works again once space is back, without a restart', async () => {
    const rec = await service.submit('agent', { action: 'gmail.labels.list', params: {} });
    expect(rec.row.status).toBe('executed');
    expect(executed).toEqual(['gmail.labels.list']);
  });
});

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
    for (const size of [4096, 512, 64, 1]) {
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

// A real 64 KiB tmpfs under the evidence directory needs mount rights (root on Linux); the in-process
// tests above cover the same path everywhere.
describe.runIf(process.platform === 'linux' && canMountTmpfs())(
  'evidence disk full, real sidecar on a tiny tmpfs',
  () => {
    let s: TestSidecar;
    let evidenceMount = '';
    let pendingSend = '';

    beforeAll(async () => {
      s = await startTestSidecar({
        profile: 'full',
        prepare: (dir) => {
          evidenceMount = join(dir, 'evidence');
          execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', evidenceMount]);
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
      if (evidenceMount) execFileSync('umount', ['-l', evidenceMount], { stdio: 'ignore' });
      if (s) removeSetup(s);
    });

    const ids = async () =>
      ((await call(s.operatorSocket, 'GET', '/v1/proposals?limit=1000')).json as { proposals: { id: string }[] })
        .proposals.length;

    it('fails closed with EVIDENCE_UNAVAILABLE and runs nothing without evidence', async () => {
      const filler = fill(evidenceMount);
      const outboxBefore = readOutbox(s.gogHome).length;
      const callsBefore = readFileSync(join(s.gogHome, 'fake-calls.jsonl'), 'utf8').split('\n').length;
      // The segment's last page may still hold a record or two; from the first refusal on, nothing runs.
      let refusal: { status: number; code: string | undefined } | null = null;
      for (let i = 0; i < 40 && !refusal; i++) {
        const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
          key: s.agentKey,
          body: { action: 'gmail.drafts.create', params: { to: ['sam@example.com'], subject: `n${i}`, body: 'x' } },
        });
        const body = r.json as { error?: { code: string }; proposal?: { error?: { code: string } } };
        const code = body.error?.code ?? body.proposal?.error?.code;
        if (r.status !== 200) refusal = { status: r.status, code };
      }
      expect(refusal).not.toBeNull();
      expect(refusal?.code).toBe('EVIDENCE_UNAVAILABLE');
      expect([502, 503]).toContain(refusal?.status);

      // Now the log is full for sure: a fresh proposal is refused outright with 503 and is not stored.
      const before = await ids();
      const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
        key: s.agentKey,
        body: { action: 'gmail.labels.list', params: {} },
      });
      expect(r.status).toBe(503);
      expect((r.json as { error: { code: string; message: string } }).error.code).toBe('EVIDENCE_UNAVAILABLE');
      expect(await ids()).toBe(before);
      // An approval cannot be recorded, so the pending send does not run.
      const approve = await mailwarden(['approve', pendingSend, '--yes', '--config', s.configPath]);
      expect(approve.code).not.toBe(0);
      expect(readOutbox(s.gogHome).filter((o) => o.command === 'gmail.send')).toHaveLength(0);
      expect((await call(s.agentSocket, 'GET', '/v1/health')).status).toBe(200);

      // Every gog call that happened has its execution_started record (read once space is back).
      rmSync(filler);
      const calls = readFileSync(join(s.gogHome, 'fake-calls.jsonl'), 'utf8').split('\n').length - callsBefore;
      const started = readdirSync(evidenceMount)
        .filter((f) => f.endsWith('.jsonl'))
        .flatMap((f) => readFileSync(join(evidenceMount, f), 'utf8').split('\n'))
        .filter((l) => l.includes('"execution_started"')).length;
      expect(readOutbox(s.gogHome).length - outboxBefore).toBe(calls);
      expect(started).toBeGreaterThanOrEqual(calls);
    });

    it('recovers once space is back: the send can be approved and runs once, evidence intact', async () => {
      const approve = await mailwarden(['approve', pendingSend, '--yes', '--config', s.configPath]);
      expect(approve.code).toBe(0);
      expect(readOutbox(s.gogHome).filter((o) => o.command === 'gmail.send')).toHaveLength(1);
      const v = await mailwarden(['evidence', 'verify', '--config', s.configPath, '--json']);
      expect(v.code).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ verdict: 'intact' });
    });
  },
);
