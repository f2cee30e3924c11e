// Short-lived single-use agent tokens over the real socket, and the mode where the raw key only mints.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { call } from './support/http.ts';
import { removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

describe('agent tokens (tokens.requireTokens: true)', () => {
  let s: TestSidecar;
  beforeAll(async () => {
    s = await startTestSidecar({
      prepare: (dir) => {
        const file = join(dir, 'mailwarden.yaml');
        const cfg = parse(readFileSync(file, 'utf8')) as { tokens: Record<string, unknown> };
        cfg.tokens = { ...cfg.tokens, requireTokens: true, ttlSeconds: 30 };
        writeFileSync(file, stringify(cfg), { mode: 0o600 });
      },
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

  it('refuses a token whose signature was tampered with', async () => {
    const { token } = await mint();
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${Buffer.alloc(32, 7).toString('base64url')}`;
    expect((await call(s.agentSocket, 'GET', '/v1/catalog', { key: forged })).status).toBe(401);
  });
});
