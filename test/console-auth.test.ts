// The console's gate over real TCP: one-time login links, session cookie, CSRF, Host and Origin checks, no agent keys.
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type RawResponse, readResponse } from './support/http.ts';
import { BIN, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

type Res = RawResponse;

function http(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      readResponse(res).then(resolve, reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const cookieOf = (r: Res) => {
  const set = r.headers['set-cookie'];
  return Array.isArray(set) ? (set[0] ?? '') : '';
};

describe('console login and request guards', () => {
  let s: TestSidecar;
  let child: ChildProcess;
  let url: string;
  let loginUrl: string;
  let cookie = '';
  let csrf = '';
  let origin = '';

  beforeAll(async () => {
    s = await startTestSidecar({ profile: 'full' });
    child = spawn(process.execPath, [BIN, 'console', '--config', s.configPath, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`console exited with ${code}`)));
    });
    ({ url, loginUrl } = JSON.parse(line) as { url: string; loginUrl: string });
    origin = url.replace(/\/$/, '');
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await s?.stop();
    if (s) removeSetup(s);
  });

  it('binds to loopback and prints a one-time login link', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(loginUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?token=[A-Za-z0-9_-]{43}$/);
  });

  it('refuses the API and the page without a session cookie', async () => {
    const api = await http(`${url}api/proposals`);
    expect(api.status).toBe(401);
    expect(api.json).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const page = await http(url);
    expect(page.status).toBe(401);
    expect(page.text).toContain('one-time login link');
    expect((await http(`${url}assets/app.js`)).status).toBe(401);
  });

  it('refuses an agent key, with or without a session', async () => {
    const bare = await http(`${url}api/proposals`, { headers: { authorization: `Bearer ${s.agentKey}` } });
    expect(bare.status).toBe(401);
    expect(bare.json).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const post = await http(`${url}api/lockdown`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.agentKey}`, 'content-type': 'application/json', origin },
      body: '{"jws":"x.y.z"}',
    });
    expect(post.status).toBe(401);
  });

  it('burns the login link: the first visit gets a strict session cookie, a reuse fails', async () => {
    const first = await http(loginUrl);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const set = cookieOf(first);
    expect(set).toMatch(/^mw_console_session=[A-Za-z0-9_-]{43};/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toContain('Path=/');
    cookie = set.split(';')[0]!;

    const again = await http(loginUrl);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.text).toContain('not valid');

    const forged = await http(`${url}login?token=${'A'.repeat(43)}`);
    expect(forged.status).toBe(401);

    const sessionInfo = await http(`${url}api/session`, { headers: { cookie } });
    expect(sessionInfo.status).toBe(200);
    csrf = (sessionInfo.json as { csrfToken: string }).csrfToken;
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessionInfo.json).toMatchObject({
      account: 'owner@example.com',
      configFile: s.configPath,
      approvers: ['owner'],
    });

    const withBearer = await http(`${url}api/session`, { headers: { cookie, authorization: `Bearer ${s.agentKey}` } });
    expect(withBearer.status).toBe(401);
  });

  it('serves the page with a strict CSP, no inline script, no framing and no caching', async () => {
    const page = await http(url, { headers: { cookie } });
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // Every <script> has a src; none carries code.
    expect(page.text.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/assets/app.js">']);
    expect(page.text).not.toMatch(/<script[^>]*>[^<]+<\/script>/);
    const js = await http(`${url}assets/app.js`, { headers: { cookie } });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await http(`${url}assets/..%2Fapp.ts`, { headers: { cookie } })).status).toBe(404);
  });

  it('answers only under its own host:port (DNS rebinding)', async () => {
    const r = await http(`${url}api/session`, { headers: { cookie, host: 'attacker.example:80' } });
    expect(r.status).toBe(421);
    expect(r.json).toMatchObject({ error: { code: 'WRONG_HOST' } });
    const login = await http(`${url}login?token=x`, { headers: { host: 'localhost.attacker.example' } });
    expect(login.status).toBe(421);
  });

  it('needs the CSRF header and the console origin on every POST', async () => {
    const body = JSON.stringify({ jws: 'a.b.c' });
    const json = { cookie, 'content-type': 'application/json' };
    const noToken = await http(`${url}api/lockdown`, { method: 'POST', headers: { ...json, origin }, body });
    expect(noToken.status).toBe(403);
    expect(noToken.json).toMatchObject({ error: { code: 'BAD_CSRF_TOKEN' } });
    const wrongToken = await http(`${url}api/lockdown`, {
      method: 'POST',
      headers: { ...json, origin, 'x-mailwarden-csrf': `${csrf.slice(0, -1)}A` },
      body,
    });
    expect(wrongToken.status).toBe(403);
    const crossSite = await http(`${url}api/lockdown`, {
      method: 'POST',
      headers: { ...json, origin: 'http://evil.example', 'x-mailwarden-csrf': csrf },
      body,
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.json).toMatchObject({ error: { code: 'BAD_ORIGIN' } });
    const noOrigin = await http(`${url}api/lockdown`, {
      method: 'POST',
      headers: { ...json, 'x-mailwarden-csrf': csrf },
      body,
    });
    expect(noOrigin.status).toBe(403);
    const form = await http(`${url}api/lockdown`, {
      method: 'POST',
      headers: { cookie, origin, 'x-mailwarden-csrf': csrf, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'jws=a.b.c',
    });
    expect(form.status).toBe(400);

    // A well-formed request reaches the sidecar, which judges the statement itself: a forged one is refused there.
    const forwarded = await http(`${url}api/lockdown`, {
      method: 'POST',
      headers: { ...json, origin, 'x-mailwarden-csrf': csrf },
      body,
    });
    expect(forwarded.json).toMatchObject({ error: { code: 'APPROVAL_REFUSED' } });
    const locks = await call(s.operatorSocket, 'GET', '/v1/proposals');
    expect((locks.json as { lockdowns: unknown[] }).lockdowns).toEqual([]);
  });

  it('ends the session on logout', async () => {
    const out = await http(`${url}api/logout`, {
      method: 'POST',
      headers: { cookie, origin, 'x-mailwarden-csrf': csrf, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(out.status).toBe(200);
    expect((await http(`${url}api/session`, { headers: { cookie } })).status).toBe(401);
  });

  it('prints a fresh one-time link on SIGUSR2', async () => {
    const next = new Promise<string>((resolve) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          child.stdout!.off('data', onData);
          resolve(out.split('\n')[0]!);
        }
      };
      child.stdout!.on('data', onData);
    });
    child.kill('SIGUSR2');
    const link = (JSON.parse(await next) as { loginUrl: string }).loginUrl;
    expect(link).not.toBe(loginUrl);
    expect((await http(link)).status).toBe(303);
    expect((await http(link)).status).toBe(401);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
