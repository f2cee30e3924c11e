// Google API faults through the real gog: each becomes a distinct mailwarden error naming the fix, and
// mailwarden never runs a write twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeForExit, createGogExecutor, type GogOutcome } from '../sidecar/exec/index.ts';
import { type Backend, conformanceMailbox, realBackend } from './support/gog-backends.ts';
import { requireRealGog } from './support/real-gog.ts';

const real = requireRealGog('gog faults');

const READ = ['gmail.labels.list', {}] as const;
const WRITE = ['gmail.archive', { messageIds: ['18c1a0000000a001'] }] as const;

function failed(o: GogOutcome): { code: string; message: string; attempts: number } {
  if (o.ok) throw new Error('expected a failure');
  return { code: o.code, message: o.message, attempts: o.info.attempts };
}

describe.skipIf(!real).sequential('emulator faults through the real gog', () => {
  let b: Backend;
  beforeAll(async () => {
    b = await realBackend(real!.binary, conformanceMailbox());
  });
  afterAll(async () => {
    await b?.close();
  });
  const run = async (action: (typeof READ)[0] | (typeof WRITE)[0], params: object, timeoutMs = 20_000) => {
    b.emulator!.requests.length = 0;
    const out = await createGogExecutor({ ...b.cfg, timeoutMs }, { sleep: async () => {} }).execute(
      action,
      params as never,
    );
    b.emulator!.clearFaults();
    return out;
  };

  it('404 is GOG_NOT_FOUND', async () => {
    b.emulator!.fault({ status: 404 });
    expect(failed(await run(...READ))).toMatchObject({ code: 'GOG_NOT_FOUND', message: /does not exist/ });
  });

  it('403 insufficient scope is GOG_SCOPE_MISSING and says how to grant the scopes', async () => {
    b.emulator!.fault({ status: 403 });
    const f = failed(await run(...READ));
    expect(f.code).toBe('GOG_SCOPE_MISSING');
    expect(f.message).toMatch(/gog auth add owner@example\.com --services gmail,calendar --force-consent/);
  });

  it('a 500 on a read is retried and then succeeds; the write after it is not repeated by mailwarden', async () => {
    // gog itself retries a 5xx once; two faulted requests make gog's first run fail.
    b.emulator!.fault({ status: 500, times: 2 });
    const read = await run(...READ);
    expect(read).toMatchObject({ ok: true, info: { attempts: 2 } });
    b.emulator!.fault({ status: 500, method: 'POST' });
    const f = failed(await run(...WRITE));
    expect(f).toMatchObject({ code: 'GOG_RETRYABLE', attempts: 1, message: /not retried/ });
    // One gog run: gog's own transport sent the POST twice (its single 5xx retry), mailwarden added none.
    expect(b.emulator!.writes()).toHaveLength(2);
  });

  it('429 on a write is GOG_RATE_LIMITED, run once', async () => {
    b.emulator!.fault({ status: 429, method: 'POST' });
    const f = failed(await run(...WRITE));
    expect(f).toMatchObject({ code: 'GOG_RATE_LIMITED', attempts: 1, message: /not retried/ });
  }, 40_000);

  it('a hang is GOG_TIMEOUT and the write is not repeated', async () => {
    b.emulator!.fault({ hang: true, method: 'POST' });
    const f = failed(await run(...WRITE, 2_000));
    expect(f).toMatchObject({ code: 'GOG_TIMEOUT', attempts: 1 });
    expect(b.emulator!.writes()).toHaveLength(1);
  });

  it('the codes are distinct', () => {
    const codes = ['GOG_NOT_FOUND', 'GOG_SCOPE_MISSING', 'GOG_RETRYABLE', 'GOG_RATE_LIMITED', 'GOG_TIMEOUT'];
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('exit codes from gog messages', () => {
  it.each([
    [4, 'OAuth grant for a@b.c is missing required gmail scope: https://mail.google.com/', 'GOG_SCOPE_MISSING'],
    [4, 'no stored token for a@b.c', 'GOG_AUTH_REQUIRED'],
    [
      6,
      'Google API error (403 insufficientPermissions): Request had insufficient authentication scopes.',
      'GOG_SCOPE_MISSING',
    ],
    [6, 'Google API error (403 forbidden): The caller does not have permission', 'GOG_PERMISSION_DENIED'],
    [2, 'you are not an attendee of this event', 'GOG_REFUSED'],
    [2, 'cannot respond to your own event (you are the organizer)', 'GOG_REFUSED'],
    [2, 'missing query', 'GOG_REFUSED'],
    [2, 'unknown flag --frobnicate', 'GOG_USAGE'],
    [2, 'Gmail sending is blocked by config gmail_no_send', 'GOG_BLOCKED'],
    [11, '', 'GOG_FAILED'],
  ] as const)('exit %i %s -> %s', (exit, line, code) => {
    expect(codeForExit(exit, line)).toBe(code);
  });
});
