// The fake gog's guards and parsing behave like gog's: baked profiles, no-send, flag rules, JSON style.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTION_NAMES, type ActionName, ActionParamSchemas } from '../shared/index.ts';
import {
  bakedProfileBlocks,
  createGogExecutor,
  FAKE_GOG_BINARY,
  type GogConfig,
  gogConfigFor,
  gogEnv,
  prepareFakeGogHome,
  probeGogSchema,
} from '../sidecar/exec/index.ts';

const run = promisify(execFile);
const PROFILES = join(import.meta.dirname, '..', 'fixtures', 'fake-gog', 'profiles');
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function home(opts: Parameters<typeof prepareFakeGogHome>[1] = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mw-gogsafe-'));
  roots.push(root);
  const dir = join(root, 'gog');
  await prepareFakeGogHome(dir, opts);
  return dir;
}

function cfgFor(dir: string, extra: Partial<GogConfig> = {}): GogConfig {
  return {
    binary: FAKE_GOG_BINARY,
    home: dir,
    account: 'owner@example.com',
    timeoutMs: 10_000,
    maxOutputBytes: 4_000_000,
    noSend: false,
    wrapUntrusted: false,
    ...extra,
  };
}

/** Runs the fake gog directly with the executor's scrubbed env (plus extras), returning code and output. */
async function gog(dir: string, argv: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(FAKE_GOG_BINARY, argv, { env: { ...gogEnv(cfgFor(dir)), ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const base = (dir: string) => ['--json', '--no-input', '--account', 'owner@example.com', '--home', dir];
const SEND = ['gmail', 'send', '--to=a@example.com', '--subject=s', '--body=b'];

async function outboxLines(dir: string): Promise<number> {
  const text = await readFile(join(dir, 'fake-outbox.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

describe('baked safety profile', () => {
  it('blocks with gog exact messages, deny first, then default deny', async () => {
    const dir = await home({ profileYaml: await readFile(join(PROFILES, 'agent-safe.yaml'), 'utf8') });
    const send = await gog(dir, [...base(dir), ...SEND]);
    expect(send).toMatchObject({ code: 2, stdout: '' });
    expect(send.stderr).toBe('command "gmail send" is blocked by baked safety profile "agent-safe"\n');
    const reply = await gog(dir, [...base(dir), 'gmail', 'reply', '--body=x', '--', '18c1a0000000a001']);
    expect(reply.stderr).toBe('command "gmail reply" is not included in baked safety profile "agent-safe"\n');
    const alias = await gog(dir, [...base(dir), 'send', '--to=a@example.com', '--subject=s', '--body=b']);
    expect(alias).toMatchObject({ code: 2 });
    expect(alias.stderr).toContain('is blocked by baked safety profile "agent-safe"');
    const search = await gog(dir, [...base(dir), 'gmail', 'search', '--', 'is:unread']);
    expect(search.code).toBe(0);
    expect(await outboxLines(dir)).toBe(0);
  });

  it('checks the profile before no-send, as gog orders its guards', async () => {
    const dir = await home({ profileYaml: await readFile(join(PROFILES, 'agent-safe.yaml'), 'utf8') });
    const res = await gog(dir, [...base(dir), '--gmail-no-send', ...SEND]);
    expect(res.stderr).toContain('baked safety profile');
  });

  it('deny wins over a wildcard and parent rules match by prefix', async () => {
    const dir = await home({ profileYaml: 'name: custom\nall: true\ngmail:\n  drafts: false\n' });
    expect((await gog(dir, [...base(dir), 'gmail', 'drafts', 'list'])).stderr).toBe(
      'command "gmail drafts list" is blocked by baked safety profile "custom"\n',
    );
    expect((await gog(dir, [...base(dir), 'gmail', 'labels', 'list'])).code).toBe(0);
    const parent = await home({ profileYaml: 'name: p\ncalendar: true\n' });
    expect((await gog(parent, [...base(parent), 'calendar', 'events'])).code).toBe(0);
    expect((await gog(parent, [...base(parent), 'gmail', 'labels', 'list'])).stderr).toContain('not included');
  });

  it('refuses an empty profile and a denied wildcard', async () => {
    const empty = await home({ profileYaml: '{}\n' });
    expect(await gog(empty, [...base(empty), 'gmail', 'labels', 'list'])).toMatchObject({ code: 2 });
    const star = await home({ profileYaml: 'name: bad\n"*": false\n' });
    expect((await gog(star, [...base(star), 'gmail', 'labels', 'list'])).stderr).toContain(
      'wildcards cannot be denied',
    );
  });

  it.each(['agent-safe', 'readonly'])(
    'bakedProfileBlocks agrees with the %s profile for every action',
    async (name) => {
      const dir = await home({ profileYaml: await readFile(join(PROFILES, `${name}.yaml`), 'utf8') });
      const executor = createGogExecutor(cfgFor(dir));
      const observed: Record<string, boolean> = {};
      const expected: Record<string, boolean> = {};
      await Promise.all(
        ACTION_NAMES.map(async (action: ActionName) => {
          // Params that pass validation; the guard runs before any handler reads them.
          const params = VALID_PARAMS[action];
          const out = await executor.execute(action, ActionParamSchemas[action].parse(params));
          observed[action] = !out.ok && out.code === 'GOG_BLOCKED';
          expected[action] = bakedProfileBlocks(name, action) === true;
        }),
      );
      expect(observed).toEqual(expected);
      // Nothing a profile blocked reached the handler; allowed writes that succeeded are in the outbox.
      const text = await readFile(join(dir, 'fake-outbox.jsonl'), 'utf8').catch(() => '');
      const recorded = new Set(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).command),
      );
      for (const action of ACTION_NAMES.filter((a) => expected[a])) expect(recorded.has(action)).toBe(false);
      if (name === 'agent-safe') expect(recorded.has('gmail.drafts.create')).toBe(true);
    },
  );

  it('gog schema --json reports the baked profile, and probeGogSchema reads it', async () => {
    const dir = await home({ profileYaml: await readFile(join(PROFILES, 'agent-safe.yaml'), 'utf8') });
    const raw = await gog(dir, ['--json', '--home', dir, 'schema']);
    expect(JSON.parse(raw.stdout).automation.safety.baked_profile).toEqual({ enabled: true, name: 'agent-safe' });
    expect(await probeGogSchema(cfgFor(dir))).toEqual({
      bakedProfile: { enabled: true, name: 'agent-safe' },
      gmailNoSend: false,
      build: 'v0.34.1',
    });
    const plain = await home({ gogConfig: gogConfigFor(true) });
    expect(await probeGogSchema(cfgFor(plain))).toEqual({
      bakedProfile: { enabled: false, name: null },
      gmailNoSend: true,
      build: 'v0.34.1',
    });
    expect(await probeGogSchema(cfgFor(plain, { binary: '/nonexistent/gog' }))).toMatchObject({
      error: expect.stringContaining('ENOENT'),
    });
  });
});

describe('no-send', () => {
  it('--gmail-no-send blocks every send path with gog exact message', async () => {
    const dir = await home();
    for (const cmd of [
      SEND,
      ['gmail', 'drafts', 'send', '--', 'r1'],
      ['gmail', 'forward', '--to=a@example.com', '--', 'x'],
    ]) {
      const res = await gog(dir, [...base(dir), '--gmail-no-send', ...cmd]);
      expect(res).toMatchObject({ code: 2, stderr: 'Gmail sending is blocked by --gmail-no-send\n' });
    }
    expect((await gog(dir, [...base(dir), '--gmail-no-send', 'gmail', 'drafts', 'list'])).code).toBe(0);
    expect(await outboxLines(dir)).toBe(0);
  });

  it('a later --gmail-no-send=false undoes the flag: why a per-call flag is no hard guard', async () => {
    const dir = await home();
    const res = await gog(dir, [...base(dir), '--gmail-no-send', ...SEND, '--gmail-no-send=false']);
    expect(res.code).toBe(0);
    expect(await outboxLines(dir)).toBe(1);
  });

  it('GOG_GMAIL_NO_SEND and config gmail_no_send block too; the config cannot be undone by a flag', async () => {
    const dir = await home();
    expect((await gog(dir, [...base(dir), ...SEND], { GOG_GMAIL_NO_SEND: '1' })).stderr).toBe(
      'Gmail sending is blocked by --gmail-no-send\n',
    );
    const locked = await home({ gogConfig: gogConfigFor(true) });
    const res = await gog(locked, [...base(locked), ...SEND, '--gmail-no-send=false']);
    expect(res).toMatchObject({ code: 2, stderr: 'Gmail sending is blocked by config gmail_no_send\n' });
    const out = await createGogExecutor(cfgFor(locked)).execute('gmail.reply', {
      messageId: '18c1a0000000a001',
      body: 'x',
    });
    expect(out).toMatchObject({ ok: false, code: 'GOG_BLOCKED' });
    expect(await outboxLines(locked)).toBe(0);
    expect(gogConfigFor(false)).toEqual({ gmail_no_send: false });
  });
});

describe('argv parsing and output style', () => {
  it('global flags anywhere, --flag=value, and repeated flags last-wins', async () => {
    const dir = await home();
    const res = await gog(dir, [
      'gmail',
      '--account=nobody@example.com',
      'search',
      '--max=1',
      '--home',
      dir,
      '--',
      'is:unread',
      '--json',
      '--account',
      'owner@example.com',
    ]);
    // After `--` everything is the query; the account stays the inline one, which has no token.
    expect(res.code).toBe(4);
    const ok = await gog(dir, [
      'gmail',
      'search',
      '--account',
      'nobody@example.com',
      '--max',
      '1',
      '--json',
      '--home',
      dir,
      '--account=owner@example.com',
      '--',
      'is:unread',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).threads).toHaveLength(1);
    expect((await gog(dir, [...base(dir), 'gmail', 'search', '--frobnicate', '--', 'x'])).stderr).toBe(
      'unknown flag --frobnicate\n',
    );
    expect((await gog(dir, [...base(dir), '--plain', 'gmail', 'labels', 'list'])).code).toBe(2);
  });

  it('prints gog JSON: sorted keys, two-space indent, trailing newline, string ids and dates', async () => {
    const dir = await home();
    const search = await gog(dir, [...base(dir), 'gmail', 'search', '--max', '2', '--', 'in:inbox']);
    const parsed = JSON.parse(search.stdout);
    expect(search.stdout).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
    expect(Object.keys(parsed)).toEqual(['nextPageToken', 'threads']);
    expect(parsed.nextPageToken).not.toBe('');
    expect(Object.keys(parsed.threads[0])).toEqual(['date', 'from', 'id', 'labels', 'messageCount', 'subject']);
    const get = JSON.parse((await gog(dir, [...base(dir), 'gmail', 'get', '--', '18c1a0000000a001'])).stdout);
    expect(typeof get.message.internalDate).toBe('string');
    expect(typeof get.message.historyId).toBe('string');
    const events = JSON.parse(
      (
        await gog(dir, [
          ...base(dir),
          'calendar',
          'events',
          '--all',
          '--from=2026-11-01T00:00:00Z',
          '--to=2026-12-01T00:00:00Z',
        ])
      ).stdout,
    );
    // gog lists only the calendars that have another page.
    expect(events.nextPageTokens).toEqual([]);
    expect(events.events.every((e: { CalendarID?: string }) => typeof e.CalendarID === 'string')).toBe(true);
  });

  it('starts fast', async () => {
    const dir = await home();
    const started = Date.now();
    for (let i = 0; i < 3; i++) await gog(dir, [...base(dir), 'gmail', 'labels', 'list']);
    expect((Date.now() - started) / 3).toBeLessThan(1_000);
  });

  it('reads faults from fake-faults.json under a scrubbed environment', async () => {
    const dir = await home();
    await writeFile(join(dir, 'fake-faults.json'), JSON.stringify({ exitCode: 8, message: 'backend error' }));
    expect(await gog(dir, [...base(dir), 'gmail', 'labels', 'list'])).toMatchObject({
      code: 8,
      stderr: 'backend error\n',
    });
  });
});

const VALID_PARAMS: Record<ActionName, unknown> = {
  'gmail.search': { query: 'is:unread' },
  'gmail.get': { messageId: '18c1a0000000a001' },
  'gmail.thread.get': { threadId: '18c1a0000000a001' },
  'gmail.attachment': { messageId: '18c1a0000000a001', attachmentId: 'ANGjdJ8budget001' },
  'gmail.labels.list': {},
  'gmail.drafts.list': {},
  'calendar.events': {},
  'calendar.event': { calendarId: 'primary', eventId: 'evt1offsite2026' },
  'gmail.messages.modify': { messageId: '18c1a0000000a001', add: ['STARRED'] },
  'gmail.archive': { messageIds: ['18c1a0000000a001'] },
  'gmail.mark-read': { messageIds: ['18c1a0000000a003'] },
  'gmail.unread': { messageIds: ['18c1a0000000f001'] },
  'gmail.trash': { messageIds: ['18c1a0000000c001'] },
  'gmail.drafts.create': { to: ['a@example.com'], subject: 's', body: 'b' },
  'gmail.drafts.update': { draftId: 'r-missing', to: ['a@example.com'], cc: [], bcc: [], subject: 'x', body: 'b' },
  'gmail.drafts.send': { draftId: 'r-missing' },
  'gmail.drafts.delete': { draftId: 'r-missing' },
  'gmail.send': { to: ['a@example.com'], subject: 's', body: 'b' },
  'gmail.reply': { messageId: '18c1a0000000a001', body: 'b' },
  'gmail.forward': { messageId: '18c1a0000000a001', to: ['a@example.com'] },
  'calendar.create': {
    calendarId: 'primary',
    summary: 's',
    start: '2026-11-24T09:00:00Z',
    end: '2026-11-24T10:00:00Z',
  },
  'calendar.update': { calendarId: 'primary', eventId: 'evt1offsite2026', summary: 'x' },
  'calendar.delete': { calendarId: 'primary', eventId: 'evt5releasefreeze' },
  'calendar.respond': { calendarId: 'primary', eventId: 'evt3contractcall', response: 'accepted' },
};
