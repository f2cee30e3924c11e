// Exit codes, timeouts, missing binaries, bad output and retries of the gog executor, with real processes.
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActionParams } from '../shared/index.ts';
import {
  BACKOFF_BASE_MS,
  createGogExecutor,
  FAKE_GOG_BINARY,
  type GogConfig,
  type GogErrorCode,
  gogErrorLine,
  prepareFakeGogHome,
  READ_ATTEMPTS,
} from '../sidecar/exec/index.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function setup(faults?: Record<string, unknown>, overrides: Partial<GogConfig> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'mw-gogerr-'));
  roots.push(root);
  const home = join(root, 'gog');
  await prepareFakeGogHome(home, faults === undefined ? {} : { faults });
  const cfg: GogConfig = {
    binary: FAKE_GOG_BINARY,
    home,
    account: 'owner@example.com',
    timeoutMs: 10_000,
    maxOutputBytes: 4_000_000,
    noSend: false,
    wrapUntrusted: false,
    ...overrides,
  };
  const sleeps: number[] = [];
  const executor = createGogExecutor(cfg, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { root, home, cfg, executor, sleeps };
}

async function calls(home: string): Promise<{ argv: string[]; envKeys: string[] }[]> {
  const text = await readFile(join(home, 'fake-calls.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const READ = ['gmail.get', { messageId: '18c1a0000000a001' }] as const;
const WRITE: ['gmail.drafts.create', ActionParams<'gmail.drafts.create'>] = [
  'gmail.drafts.create',
  { to: ['a@example.com'], subject: 's', body: 'b' },
];

describe('exit codes', () => {
  const table: [number, string, GogErrorCode, RegExp][] = [
    [1, 'googleapi: Error 400: Bad Request', 'GOG_FAILED', /exit 1/],
    [2, 'unknown flag --frobnicate', 'GOG_USAGE', /gog --version/],
    [2, 'command "gmail get" is blocked by baked safety profile "x"', 'GOG_BLOCKED', /policy/],
    [2, 'command "gmail get" is not included in baked safety profile "x"', 'GOG_BLOCKED', /profile/],
    [4, 'no stored token', 'GOG_AUTH_REQUIRED', /run `gog auth add owner@example\.com` as the service user/],
    [5, 'googleapi: Error 404: Requested entity was not found., notFound', 'GOG_NOT_FOUND', /does not exist/],
    [6, 'googleapi: Error 403: insufficient scopes', 'GOG_PERMISSION_DENIED', /gog auth add owner@example\.com/],
    [10, 'read config: invalid JSON', 'GOG_CONFIG', /config\.json/],
    [130, 'interrupted', 'GOG_CANCELLED', /check the mailbox/],
    [3, 'no results', 'GOG_FAILED', /exit 3/],
  ];
  it.each(table)('exit %i (%s) becomes %s', async (exitCode, message, code, hint) => {
    const { executor } = await setup({ exitCode, message });
    const outcome = await executor.execute(...READ);
    expect(outcome).toMatchObject({ ok: false, code, info: { exitCode, attempts: 1 } });
    if (!outcome.ok) expect(outcome.message).toMatch(hint);
  });

  it('exits 7 and 8 are retried for reads with backoff, then succeed', async () => {
    for (const exitCode of [7, 8]) {
      const { home, executor, sleeps } = await setup({ exitCode, times: 2 });
      const outcome = await executor.execute(...READ);
      expect(outcome).toMatchObject({ ok: true, info: { attempts: 3, exitCode: 0 } });
      expect(sleeps).toEqual([BACKOFF_BASE_MS, BACKOFF_BASE_MS * 2]);
      expect(await calls(home)).toHaveLength(3);
    }
  });

  it('a read that stays rate-limited gives up after the bounded attempts', async () => {
    const { home, executor } = await setup({ exitCode: 7, message: 'rate limit exceeded' });
    const outcome = await executor.execute(...READ);
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_RATE_LIMITED', info: { attempts: READ_ATTEMPTS } });
    expect(await calls(home)).toHaveLength(READ_ATTEMPTS);
  });

  it.each([
    [7, 'GOG_RATE_LIMITED'],
    [8, 'GOG_RETRYABLE'],
  ] as const)('a mutating action is never retried on exit %i', async (exitCode, code) => {
    const { home, executor, sleeps } = await setup({ exitCode, times: 1 });
    const outcome = await executor.execute(...WRITE);
    expect(outcome).toMatchObject({ ok: false, code, info: { attempts: 1 } });
    if (!outcome.ok) expect(outcome.message).toMatch(/not retried/);
    expect(sleeps).toEqual([]);
    expect(await calls(home)).toHaveLength(1);
  });
});

describe('process failures', () => {
  it('a hanging gog is killed at the timeout', async () => {
    const { executor } = await setup({ sleepMs: 20_000 }, { timeoutMs: 300 });
    const started = Date.now();
    const outcome = await executor.execute(...READ);
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(3_000);
    if (!outcome.ok) expect(outcome.message).toMatch(/300 ms/);
  });

  it('an aborted call stops gog and reports it as cancelled', async () => {
    const { executor } = await setup({ sleepMs: 20_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const outcome = await executor.execute(...READ, ac.signal);
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_CANCELLED' });
  });

  it('a missing binary says where gog was expected', async () => {
    const { executor } = await setup(undefined, { binary: '/nonexistent/bin/gog' });
    const outcome = await executor.execute(...READ);
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_MISSING_BINARY', info: { exitCode: null } });
    if (!outcome.ok) expect(outcome.message).toContain('/nonexistent/bin/gog (ENOENT)');
  });

  it('a binary that is not executable is reported the same way', async () => {
    const { root } = await setup();
    const binary = join(root, 'gog-not-exec');
    await writeFile(binary, '#!/bin/sh\necho {}\n');
    await chmod(binary, 0o644);
    const outcome = await createGogExecutor({ ...(await setup()).cfg, binary }).execute(...READ);
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_MISSING_BINARY' });
    if (!outcome.ok) expect(outcome.message).toContain('EACCES');
  });

  it('garbage on stdout is a clear failure with digests, not a crash', async () => {
    const { executor } = await setup({ garbage: true });
    const outcome = await executor.execute(...READ);
    const digest = `sha256:${createHash('sha256').update('this is not json {\n').digest('hex')}`;
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_BAD_OUTPUT', info: { stdoutDigest: digest, exitCode: 0 } });
  });

  it('JSON of the wrong shape is a clear failure naming the field', async () => {
    const { executor } = await setup({ stdout: '{"message": {"id": 5}}\n' });
    const outcome = await executor.execute(...READ);
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_BAD_OUTPUT' });
    if (!outcome.ok) expect(outcome.message).toMatch(/message\.id/);
  });

  it('output over the cap is cut off', async () => {
    const { executor } = await setup(undefined, { maxOutputBytes: 200 });
    const outcome = await executor.execute('gmail.search', { query: 'in:anywhere' });
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_OUTPUT_TOO_LARGE' });
  });

  it('gog runs with the allowlisted environment only', async () => {
    process.env['MAILWARDEN_TEST_SECRET'] = 'do-not-leak';
    try {
      const { home, executor } = await setup();
      expect((await executor.execute(...READ)).ok).toBe(true);
      const [call] = await calls(home);
      expect(call?.envKeys).toEqual(['GOG_HOME', 'HOME', 'LANG', 'PATH', 'TZ']);
    } finally {
      delete process.env['MAILWARDEN_TEST_SECRET'];
    }
  });

  it('the keyring password file adds GOG_KEYRING_PASSWORD and nothing else; a missing file is a config error', async () => {
    const { root, home, cfg } = await setup();
    const file = join(root, 'keyring-password');
    await writeFile(file, 'correct horse\n', { mode: 0o600 });
    expect((await createGogExecutor({ ...cfg, keyringPasswordFile: file }).execute(...READ)).ok).toBe(true);
    const [call] = await calls(home);
    expect(call?.envKeys).toEqual(['GOG_HOME', 'GOG_KEYRING_PASSWORD', 'HOME', 'LANG', 'PATH', 'TZ']);
    const missing = await createGogExecutor({ ...cfg, keyringPasswordFile: join(root, 'nope') }).execute(...READ);
    expect(missing).toMatchObject({ ok: false, code: 'GOG_CONFIG', info: { attempts: 0 } });
    if (!missing.ok) expect(missing.message).toContain('ENOENT');
  });

  it('params that fail the catalogue schema never reach gog', async () => {
    const { home, executor } = await setup();
    const outcome = await executor.execute('gmail.get', { messageId: '-rf' });
    expect(outcome).toMatchObject({ ok: false, code: 'GOG_USAGE', info: { attempts: 0 } });
    expect(await calls(home)).toEqual([]);
  });
});

describe('gogErrorLine', () => {
  it('keeps one cleaned line of at most 300 characters', () => {
    expect(gogErrorLine('warning: x\nGmail sending is blocked by --gmail-no-send\n')).toBe(
      'Gmail sending is blocked by --gmail-no-send',
    );
    expect(gogErrorLine(`${'z'.repeat(1000)}\n`)).toHaveLength(301);
    expect(gogErrorLine('a\u0007b')).toBe('a b');
  });
});
