// Short-lived single-use agent tokens over the real socket, and the mode where the raw key only mints.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient } from '../plugin/client/index.ts';
import { call } from './support/http.ts';
import { editConfig, REPO_ROOT, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

const run = promisify(execFile);

describe('agent tokens (tokens.requireTokens: true)', () => {
  let s: TestSidecar;
  beforeAll(async () => {
    s = await startTestSidecar({
      prepare: (dir) =>
        editConfig(dir, (cfg) => {
          cfg.tokens = { ...(cfg.tokens as Record<string, unknown>), requireTokens: true, ttlSeconds: 30 };
        }),
    });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  async function mint(): Promise<{ token: string; expiresAt: string }> {
    const r = await call(s.agentSocket, 'POST', '/v1/auth/token', { key: s.agentKey });
    expect(r.status).toBe(200);
    return r.json as { token: string; expiresAt: string };
  }
  const search = { action: 'gmail.search', params: { query: 'offsite' } };

  it('mints a short-lived token from the agent key', async () => {
    const t = await mint();
    expect(t.token.split('.')).toHaveLength(3);
    const ttl = Date.parse(t.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(31_000);
  });

  it('accepts a token once and refuses its replay', async () => {
    const { token } = await mint();
    expect((await call(s.agentSocket, 'POST', '/v1/proposals', { key: token, body: search })).status).toBe(200);
    const replay = await call(s.agentSocket, 'POST', '/v1/proposals', { key: token, body: search });
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses the raw agent key anywhere but the minting route', async () => {
    const r = await call(s.agentSocket, 'POST', '/v1/proposals', { key: s.agentKey, body: search });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ error: { code: 'TOKEN_REQUIRED' } });
  });

  it('does not mint a token from a token', async () => {
    const { token } = await mint();
    expect((await call(s.agentSocket, 'POST', '/v1/auth/token', { key: token })).status).toBe(401);
  });

  it('lets the TypeScript plugin client work in this mode by minting a token per call', async () => {
    const client = createAgentClient({ socketPath: s.agentSocket, agentKey: s.agentKey });
    for (let i = 0; i < 2; i++) {
      const r = await client.request('POST', '/v1/proposals', { body: search });
      expect(r.ok && r.httpStatus).toBe(200);
    }
  });

  it('lets the Hermes plugin work in this mode too', async () => {
    const script = [
      'import json, sys',
      'sys.path.insert(0, sys.argv[1])',
      'import mailwarden as plugin',
      'cfg = {"socket": sys.argv[2], "key": sys.argv[3]}',
      'body = {"action": "gmail.search", "params": {"query": "offsite"}}',
      'print(json.dumps([plugin._request(cfg, "POST", "/v1/proposals", body)[0] for _ in range(2)]))',
    ].join('\n');
    const { stdout } = await run('python3', [
      '-B',
      '-I',
      '-S',
      '-c',
      script,
      join(REPO_ROOT, 'plugin/hermes'),
      s.agentSocket,
      s.agentKey,
    ]);
    expect(JSON.parse(stdout)).toEqual([200, 200]);
  });

  it('refuses a token whose signature was tampered with', async () => {
    const { token } = await mint();
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${Buffer.alloc(32, 7).toString('base64url')}`;
    expect((await call(s.agentSocket, 'GET', '/v1/catalog', { key: forged })).status).toBe(401);
  });
});
