// End to end over real unix sockets: init, serve, authenticate, propose, and check the evidence left behind.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgentKey, hashAgentKey } from '../sidecar/auth/index.ts';
import { readEvidence } from './support/evidence.ts';
import { call } from './support/http.ts';
import {
  editConfig,
  mailwarden,
  readOutbox,
  removeSetup,
  startTestSidecar,
  type TestSidecar,
} from './support/sidecar.ts';

describe('sidecar over real sockets (draft_assist)', () => {
  let s: TestSidecar;
  const otherKey = generateAgentKey();

  beforeAll(async () => {
    s = await startTestSidecar({
      profile: 'draft_assist',
      prepare: (dir) =>
        editConfig(dir, (cfg) => {
          cfg.agents.push({ id: 'other-agent', keyHash: hashAgentKey(otherKey) });
          cfg.limits = { requestsPerMinute: 40, maxBodyBytes: 64 * 1024 };
        }),
    });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  it('creates the sockets with restrictive modes', () => {
    expect(statSync(join(s.dir, 'run')).mode & 0o777).toBe(0o750);
    expect(statSync(s.agentSocket).mode & 0o777).toBe(0o660);
    expect(statSync(s.operatorSocket).mode & 0o777).toBe(0o600);
  });

  it('answers health without a key', async () => {
    const r = await call(s.agentSocket, 'GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ok', version: expect.any(String) });
  });

  it.each([
    ['no header', undefined],
    ['a wrong key', 'mwa_not-a-real-key'],
    ['a forged token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vLWFnZW50In0.c2ln'],
  ])('refuses %s with 401 and the error body', async (_label, key) => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      ...(key ? { key } : {}),
      body: { action: 'gmail.search', params: { query: 'x' } },
    });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({
      error: { code: 'UNAUTHENTICATED', message: expect.any(String), correlationId: expect.any(String) },
    });
  });

  it('executes a search through the fake gog and returns the fixture mailbox', async () => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.search', params: { query: 'subject:offsite' }, correlationId: 'corr-search-1' },
    });
    expect(r.status).toBe(200);
    const p = (r.json as { proposal: Record<string, unknown> }).proposal;
    expect(p.status).toBe('executed');
    expect(p.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(p.correlationId).toBe('corr-search-1');
    expect(p.decision).toMatchObject({ effect: 'allow', rules: ['reads'] });
    const threads = (p.result as { threads: { subject: string }[] }).threads;
    expect(threads.map((t) => t.subject)).toContain('Q4 planning offsite');
  });

  it('creates a draft under draft_assist and gog records it once', async () => {
    const before = readOutbox(s.gogHome).length;
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: {
        action: 'gmail.drafts.create',
        params: { to: ['sam@example.com'], subject: 'Agenda', body: 'Draft agenda: budget, hiring.' },
        justification: 'owner asked for an agenda draft',
      },
    });
    expect(r.status).toBe(200);
    const p = (r.json as { proposal: { status: string; result: { draftId: string } } }).proposal;
    expect(p.status).toBe('executed');
    expect(p.result.draftId).toEqual(expect.any(String));
    const outbox = readOutbox(s.gogHome);
    expect(outbox.length).toBe(before + 1);
    expect(outbox.at(-1)).toMatchObject({ command: 'gmail.drafts.create', stdin: 'Draft agenda: budget, hiring.' });
  });

  it('denies a send with the rule id and sends nothing', async () => {
    const before = readOutbox(s.gogHome).length;
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.send', params: { to: ['attacker@evil.example'], subject: 'inbox', body: 'everything' } },
    });
    expect(r.status).toBe(403);
    const p = (r.json as { proposal: { id: string; status: string; decision: { effect: string; rules: string[] } } })
      .proposal;
    // Time-ordered (UUID version 7): the state's primary key index grows at its end instead of at random pages.
    expect(p.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(p.status).toBe('denied');
    expect(p.decision.effect).toBe('deny');
    expect(p.decision.rules).toContain('commands.gmail.send');
    expect(readOutbox(s.gogHome).length).toBe(before);
  });

  it.each([
    [{ action: 'gmail.send', params: { to: ['Eve <eve@evil.example>'], subject: 's', body: 'b' } }, 'params.to.0'],
    [{ action: 'gmail.search', params: { query: 'x', bcc: ['a@b.c'] } }, '"bcc"'],
    [{ action: 'gmail.nuke', params: {} }, 'action'],
    [{ action: 'gmail.search', params: { query: 'x' }, actor: 'root' }, '"actor"'],
    [{ action: 'gmail.get', params: { messageId: '--gmail-no-send=false' } }, 'params.messageId'],
    // A lone UTF-16 surrogate is not text: it cannot be hashed canonically, so it is refused at the edge.
    [{ action: 'gmail.send', params: { to: ['a@example.com'], subject: 's', body: 'x\ud800' } }, 'params.body'],
    [{ action: 'gmail.search', params: { query: '\ud800' } }, 'params.query'],
    [{ action: 'gmail.search', params: { query: 'x' }, justification: 'why \udc00' }, 'justification'],
    [{ action: 'gmail.search', params: { query: 'x' }, session: { id: '\ud800', runtime: 't' } }, 'session.id'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', { key: s.agentKey, body });
    expect(r.status).toBe(400);
    const e = (r.json as { error: { code: string; message: string } }).error;
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toContain(field);
  });

  it('answers 404, 415 and 413 in the contract shape', async () => {
    const missing = await call(s.agentSocket, 'POST', '/v1/proposals/x/approve', { key: s.agentKey, body: {} });
    expect(missing.status).toBe(404);
    const notJson = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      rawBody: 'action=gmail.search',
      contentType: 'text/plain',
    });
    expect(notJson.status).toBe(415);
    expect(notJson.json).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const big = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: {
        action: 'gmail.drafts.create',
        params: { to: ['a@example.com'], subject: 's', body: 'x'.repeat(100_000) },
      },
    });
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('shows an agent only its own proposals', async () => {
    const mine = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: { action: 'gmail.labels.list', params: {} },
    });
    const id = (mine.json as { proposal: { id: string } }).proposal.id;
    const own = await call(s.agentSocket, 'GET', `/v1/proposals/${id}`, { key: s.agentKey });
    expect(own.status).toBe(200);
    const foreign = await call(s.agentSocket, 'GET', `/v1/proposals/${id}`, { key: otherKey });
    expect(foreign.status).toBe(404);
  });

  it('takes the principal from the key, never from the body', async () => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: otherKey,
      body: { action: 'gmail.labels.list', params: {}, session: { id: 'demo-agent', runtime: 'test' } },
    });
    const id = (r.json as { proposal: { id: string } }).proposal.id;
    expect((await call(s.agentSocket, 'GET', `/v1/proposals/${id}`, { key: s.agentKey })).status).toBe(404);
    const list = await call(s.operatorSocket, 'GET', '/v1/proposals');
    const row = (list.json as { proposals: { id: string; principal: string }[] }).proposals.find((p) => p.id === id);
    expect(row?.principal).toBe('other-agent');
  });

  it('lists the catalogue with what the policy does to each action', async () => {
    const r = await call(s.agentSocket, 'GET', '/v1/catalog', { key: s.agentKey });
    expect(r.status).toBe(200);
    const actions = (r.json as { actions: { action: string; effect: string; paramsSchema: { type: string } }[] })
      .actions;
    expect(actions).toHaveLength(24);
    const effect = Object.fromEntries(actions.map((a) => [a.action, a.effect]));
    expect(effect['gmail.search']).toBe('allow');
    expect(effect['gmail.drafts.create']).toBe('allow');
    expect(effect['gmail.send']).toBe('deny');
    expect(actions.find((a) => a.action === 'gmail.send')?.paramsSchema.type).toBe('object');
  });

  it('keeps agent-chosen free text out of evidence in clear: session ids and correlation ids are blinded', async () => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', {
      key: s.agentKey,
      body: {
        action: 'gmail.labels.list',
        params: {},
        session: { id: 'email-the-q4-budget-to-evil', runtime: 'test' },
        correlationId: 'exfil-note-for-later',
      },
    });
    expect(r.status).toBe(200);
    const text = JSON.stringify(readEvidence(s.evidenceDir));
    expect(text).not.toContain('email-the-q4-budget-to-evil');
    expect(text).not.toContain('exfil-note-for-later');
    // The agent still gets its own correlation id back.
    expect((r.json as { proposal: { correlationId: string } }).proposal.correlationId).toBe('exfil-note-for-later');
  });

  it('writes hash-chained evidence without mail content or addresses', () => {
    const records = readEvidence(s.evidenceDir);
    const types = records.map((r) => r.type);
    expect(types).toContain('sidecar_started');
    expect(types).toContain('proposal_submitted');
    expect(types).toContain('execution_started');
    expect(types).toContain('execution_finished');
    expect(types).toContain('proposal_rejected_input');
    for (let i = 1; i < records.length; i++) expect(records[i]!.prev).toBe(records[i - 1]!.hash);
    const text = JSON.stringify(records);
    expect(text).not.toContain('Draft agenda');
    expect(text).not.toContain('attacker@evil.example');
    expect(text).not.toContain('sam@example.com');
    expect(text).not.toContain(s.agentKey);
    expect(s.stderr()).not.toContain(s.agentKey);
    expect(s.stderr()).not.toContain('Draft agenda');
  });

  it('limits the request rate per principal with 429', async () => {
    let limited = 0;
    for (let i = 0; i < 60; i++) {
      const r = await call(s.agentSocket, 'GET', '/v1/catalog', { key: otherKey });
      if (r.status === 429) {
        limited++;
        expect(r.json).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      }
    }
    expect(limited).toBeGreaterThan(0);
    // Another principal is not affected by this one's rate.
    expect((await call(s.agentSocket, 'GET', '/v1/health')).status).toBe(200);
  });

  it('holds an agent over its rate before its 429 and says when to retry, while other requests are answered', async () => {
    let r = await call(s.agentSocket, 'GET', '/v1/catalog', { key: otherKey });
    for (let i = 0; i < 60 && r.status !== 429; i++)
      r = await call(s.agentSocket, 'GET', '/v1/catalog', { key: otherKey });
    expect(r.status).toBe(429);
    // Three at once: the bucket refills one request every 1.5 s, so at most one of them can find a whole token
    // (what was left below one when the 429 above was decided keeps refilling while it is held).
    const t0 = performance.now();
    const limited = Array.from({ length: 3 }, () =>
      call(s.agentSocket, 'GET', '/v1/catalog', { key: otherKey }).then((x) => ({
        ...x,
        ms: performance.now() - t0,
        done: performance.now(),
      })),
    );
    await new Promise((res) => setTimeout(res, 20));
    const health = await call(s.agentSocket, 'GET', '/v1/health');
    const healthDone = performance.now();
    const answers = await Promise.all(limited);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(2);
    const held = answers.find((a) => a.status === 429)!;
    expect(held.json).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // 40 a minute: the next request is 1.5 s away at most, said in whole seconds.
    expect(Number(held.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(held.headers['retry-after'])).toBeLessThanOrEqual(2);
    expect(held.ms).toBeGreaterThanOrEqual(240);
    expect(health.status).toBe(200);
    expect(healthDone).toBeLessThan(held.done);
  });

  it('refuses a second sidecar on the same setup, saying which process holds it', async () => {
    const second = await mailwarden(['serve', '--config', s.configPath]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already open by process \d+; stop that sidecar first/);
    // The running one is untouched.
    expect((await call(s.agentSocket, 'GET', '/v1/health')).status).toBe(200);
  });

  it('stops cleanly on SIGTERM with exit code 0 and removes its sockets', async () => {
    const code = await s.stop();
    expect(code).toBe(0);
    expect(() => statSync(s.agentSocket)).toThrow();
    const records = readEvidence(s.evidenceDir);
    expect(records.at(-1)?.type).toBe('sidecar_stopped');
  });
});
