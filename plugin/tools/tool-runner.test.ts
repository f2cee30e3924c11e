import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentClient } from '../client/agent-client.ts';
import { createToolRunner } from './tool-runner.ts';

// A socket that records requests and answers with a fixed proposal: enough to check what the runner sends.
let dir: string;
let server: Server;
let requests: Array<{
  method?: string | undefined;
  url?: string | undefined;
  auth?: string | undefined;
  body: unknown;
}>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-runner-'));
  requests = [];
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      requests.push({
        method: req.method,
        url: req.url,
        auth: req.headers.authorization,
        body: raw ? JSON.parse(raw) : null,
      });
      res.writeHead(202, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          proposal: {
            id: 'prp_7',
            hash: `sha256:${'b'.repeat(64)}`,
            action: 'gmail.send',
            status: 'pending_approval',
            decision: { effect: 'approve', rules: ['r1'], message: 'needs a human' },
            createdAt: '2026-11-22T10:00:00Z',
            correlationId: 'c1',
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'agent.sock'), resolve));
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function runner() {
  const client = createAgentClient({ socketPath: join(dir, 'agent.sock'), agentKey: 'configured-key' });
  return createToolRunner({
    client,
    runtime: 'test',
    fallbackSessionId: 'sess-fallback',
    newCorrelationId: () => 'corr-1',
  });
}

describe('createToolRunner', () => {
  it('sends a proposal with the action, params, justification and session', async () => {
    const r = await runner().run(
      'mail_send',
      { to: ['a@example.com'], subject: 'Hi', body: 'Hello', justification: 'user asked' },
      { toolCallId: 'call-1', sessionId: 'sess-9' },
    );
    expect(r.outcome).toBe('pending_approval');
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/v1/proposals',
        auth: 'Bearer configured-key',
        body: {
          action: 'gmail.send',
          params: { to: ['a@example.com'], subject: 'Hi', body: 'Hello' },
          justification: 'user asked',
          session: { id: 'sess-9', runtime: 'test', toolCallId: 'call-1' },
          correlationId: 'corr-1',
        },
      },
    ]);
  });

  it('uses its own session id when the runtime has none', async () => {
    await runner().run('mail_labels_list', {});
    expect(requests[0]?.body).toMatchObject({ session: { id: 'sess-fallback', runtime: 'test' } });
  });

  it('asks for a proposal with a bounded wait', async () => {
    await runner().run('mail_proposal_status', { proposalId: 'prp_7', waitSeconds: 3 });
    expect(requests[0]).toMatchObject({ method: 'GET', url: '/v1/proposals/prp_7?wait=3', body: null });
  });

  // SECURITY: parameters can neither redirect the connection nor replace the key.
  it.each([
    ['socketPath', '/tmp/evil.sock'],
    ['url', 'http://evil.example'],
    ['key', 'attacker-key'],
  ])('rejects %s as a tool parameter and sends nothing', async (name, value) => {
    const r = await runner().run('mail_search', { query: 'x', [name]: value });
    expect(r).toMatchObject({ outcome: 'invalid_params', isError: true });
    expect(r.text).toContain(name);
    expect(requests).toEqual([]);
  });

  it.each([
    ['a path in the proposal id', { proposalId: '../../v1/catalog' }],
    ['a query in the proposal id', { proposalId: 'x?wait=1' }],
    ['a wait beyond the limit', { proposalId: 'p1', waitSeconds: 3600 }],
  ])('rejects %s', async (_name, params) => {
    const r = await runner().run('mail_proposal_status', params);
    expect(r.outcome).toBe('invalid_params');
    expect(requests).toEqual([]);
  });

  it('fails closed when not configured', async () => {
    const r = await createToolRunner({ client: undefined, runtime: 'test', configError: 'no key' }).run('mail_search', {
      query: 'x',
    });
    expect(r).toMatchObject({ outcome: 'not_configured', isError: true });
    expect(r.text).toContain('no key');
  });

  it('refuses an unknown tool', async () => {
    expect(await runner().run('mail_nuke', {})).toMatchObject({ outcome: 'invalid_params', isError: true });
  });
});
