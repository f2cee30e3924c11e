// Load: thousands of mixed proposals from ten principals over the real agent socket, then an audit of what was left.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgentKey, hashAgentKey } from '../sidecar/auth/index.ts';
import { call } from './support/http.ts';
import {
  editConfig,
  editPolicy,
  mailwarden,
  readOutbox,
  removeSetup,
  startTestSidecar,
  type TestSidecar,
} from './support/sidecar.ts';

const TOTAL = 2000;
const CONCURRENCY = 16;
const PRINCIPALS = 10;

interface EvidenceLine {
  type: string;
  proposalId?: string;
  principal?: string;
}

/** What each request is and what the draft-friendly `full` policy (plus a forward ban) must answer. */
function requestFor(i: number): { body: unknown; kind: 'read' | 'draft' | 'pending' | 'denied' | 'invalid' } {
  switch (i % 10) {
    case 0:
      return { kind: 'read', body: { action: 'gmail.search', params: { query: 'subject:offsite' } } };
    case 1:
      return { kind: 'read', body: { action: 'gmail.labels.list', params: {} } };
    case 2:
      return {
        kind: 'draft',
        body: {
          action: 'gmail.drafts.create',
          params: { to: ['sam@example.com'], subject: `load ${i}`, body: `load-body-${i}` },
        },
      };
    case 3:
    case 4:
    case 5:
      return {
        kind: 'pending',
        body: { action: 'gmail.send', params: { to: ['sam@example.com'], subject: `s${i}`, body: 'x' } },
      };
    case 6:
    case 7:
    case 8:
      return {
        kind: 'denied',
        body: { action: 'gmail.forward', params: { messageId: 'm-1', to: ['eve@example.net'] } },
      };
    default:
      return { kind: 'invalid', body: { action: 'gmail.search', params: { query: 'x', bcc: ['a@example.com'] } } };
  }
}

const EXPECTED_STATUS = { read: 200, draft: 200, pending: 202, denied: 403, invalid: 400 } as const;

describe(`load: ${TOTAL} mixed proposals from ${PRINCIPALS} principals, ${CONCURRENCY} at a time`, () => {
  let s: TestSidecar;
  const keys: string[] = Array.from({ length: PRINCIPALS - 1 }, () => generateAgentKey());
  const answers: { i: number; principal: number; status: number; id: string | null; proposalStatus: string | null }[] =
    [];
  let seconds = 0;

  beforeAll(async () => {
    s = await startTestSidecar({
      profile: 'full',
      prepare: (dir) => {
        editConfig(dir, (cfg) => {
          for (const [n, k] of keys.entries()) cfg.agents.push({ id: `load-agent-${n + 1}`, keyHash: hashAgentKey(k) });
          cfg.limits = { requestsPerMinute: 1_000_000 };
          cfg.log = { level: 'warn' };
        });
        // A forward ban gives the mix a denial path; automatic lockdown would turn the rest of the run into denials.
        editPolicy(dir, (policy) => {
          policy.rules.push({ id: 'no-forward', match: ['gmail.forward'], effect: 'deny' });
          policy.lockdown = { denialThreshold: 0 };
        });
      },
    });
    keys.unshift(s.agentKey);
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  it('answers every request with the expected status and no 5xx', async () => {
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < TOTAL) {
          const i = next++;
          // Each principal gets whole blocks of ten, so every principal sends every kind.
          const principal = Math.floor(i / 10) % PRINCIPALS;
          const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
            key: keys[principal]!,
            body: requestFor(i).body,
          });
          const p = (r.json as { proposal?: { id: string; status: string } }).proposal;
          answers.push({ i, principal, status: r.status, id: p?.id ?? null, proposalStatus: p?.status ?? null });
        }
      }),
    );
    seconds = (Date.now() - t0) / 1000;
    expect(answers).toHaveLength(TOTAL);
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const wrong = answers.filter((a) => a.status !== EXPECTED_STATUS[requestFor(a.i).kind]);
    expect(wrong).toEqual([]);
    expect(seconds).toBeGreaterThan(0);
  }, 120_000);

  it('leaves evidence that verifies intact', async () => {
    const v = await mailwarden(['evidence', 'verify', '--config', s.configPath, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ verdict: 'intact' });
  });

  it('has exactly one proposal_submitted per acknowledged proposal and execution records only for executed ones', () => {
    const records = readdirSync(s.evidenceDir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .flatMap((f) => readFileSync(join(s.evidenceDir, f), 'utf8').split('\n'))
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as EvidenceLine);
    const count = (type: string) => {
      const m = new Map<string, number>();
      for (const r of records) if (r.type === type && r.proposalId) m.set(r.proposalId, (m.get(r.proposalId) ?? 0) + 1);
      return m;
    };
    const submitted = count('proposal_submitted');
    const started = count('execution_started');
    const finished = count('execution_finished');
    const acked = answers.filter((a) => a.id !== null);
    expect(acked).toHaveLength(TOTAL - TOTAL / 10);
    expect(new Set(acked.map((a) => a.id)).size).toBe(acked.length);
    for (const a of acked) {
      expect(submitted.get(a.id!), `proposal_submitted for ${a.id}`).toBe(1);
      const executed = a.proposalStatus === 'executed';
      expect(started.get(a.id!) ?? 0, `execution_started for ${a.id}`).toBe(executed ? 1 : 0);
      expect(finished.get(a.id!) ?? 0, `execution_finished for ${a.id}`).toBe(executed ? 1 : 0);
    }
    // Nothing in the evidence that no one was told about.
    expect(submitted.size).toBe(acked.length);
    // Every principal's records carry its own id.
    const principals = new Set(records.filter((r) => r.type === 'proposal_submitted').map((r) => r.principal));
    expect(principals.size).toBe(PRINCIPALS);
  });

  it('put each executed draft in the fake outbox exactly once', () => {
    const drafts = readOutbox(s.gogHome).filter((o) => o.command === 'gmail.drafts.create');
    const bodies = drafts.map((d) => d.stdin ?? '');
    expect(new Set(bodies).size).toBe(bodies.length);
    const executedDrafts = answers.filter((a) => requestFor(a.i).kind === 'draft' && a.proposalStatus === 'executed');
    expect(drafts).toHaveLength(executedDrafts.length);
    expect(readOutbox(s.gogHome).filter((o) => o.command === 'gmail.send' || o.command === 'gmail.forward')).toEqual(
      [],
    );
  });

  it('shows the pending sends on the operator socket', async () => {
    const r = await call(s.operatorSocket, 'GET', '/v1/proposals?status=pending_approval&limit=1000');
    const pending = (r.json as { proposals: unknown[] }).proposals;
    expect(pending).toHaveLength(answers.filter((a) => a.proposalStatus === 'pending_approval').length);
  });
});
