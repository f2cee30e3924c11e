// Every catalogue action end to end: the executor spawns the fake gog as a real child process.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTION_CLASS, ACTION_NAMES, type ActionName, ActionParamSchemas, ResultSchemas } from '../shared/index.ts';
import {
  createGogExecutor,
  FAKE_GOG_BINARY,
  type GogConfig,
  type GogOutcome,
  planGogCall,
  prepareFakeGogHome,
} from '../sidecar/exec/index.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function setup(overrides: Partial<GogConfig> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'mw-fakegog-'));
  roots.push(root);
  const home = join(root, 'gog');
  await prepareFakeGogHome(home);
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
  return { cfg, home, executor: createGogExecutor(cfg) };
}

async function outbox(home: string): Promise<{ command: string; argv: string[]; stdin: string; at: string }[]> {
  const text = await readFile(join(home, 'fake-outbox.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function ok(outcome: GogOutcome): unknown {
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  return outcome.result;
}

// Result shapes per action, as the contract groups them.
const SHAPE: Record<ActionName, keyof typeof ResultSchemas> = {
  'gmail.search': 'gmail.search',
  'gmail.get': 'gmail.get',
  'gmail.thread.get': 'gmail.thread.get',
  'gmail.attachment': 'gmail.attachment',
  'gmail.labels.list': 'gmail.labels.list',
  'gmail.drafts.list': 'gmail.drafts.list',
  'calendar.events': 'calendar.events',
  'calendar.event': 'calendar.event',
  'gmail.messages.modify': 'gmail.messages.modify',
  'gmail.archive': 'gmail.archive',
  'gmail.mark-read': 'gmail.archive',
  'gmail.unread': 'gmail.archive',
  'gmail.trash': 'gmail.archive',
  'gmail.drafts.create': 'gmail.drafts.create',
  'gmail.drafts.update': 'gmail.drafts.create',
  'gmail.drafts.send': 'gmail.send',
  'gmail.drafts.delete': 'gmail.drafts.delete',
  'gmail.send': 'gmail.send',
  'gmail.reply': 'gmail.send',
  'gmail.forward': 'gmail.send',
  'calendar.create': 'calendar.create',
  'calendar.update': 'calendar.create',
  'calendar.delete': 'calendar.delete',
  'calendar.respond': 'calendar.respond',
};

interface Case {
  action: ActionName;
  params: unknown;
  /** Creates a draft first and passes its id as draftId. */
  needsDraft?: boolean;
  check: (result: unknown) => void;
}

const A = 'owner@example.com';
const CASES: Case[] = [
  {
    action: 'gmail.search',
    params: { query: 'is:unread from:example.com', max: 10 },
    check: (r) => {
      const res = ResultSchemas['gmail.search'].parse(r);
      expect(res.nextPageToken).toBeNull();
      expect(res.threads.map((t) => t.threadId)).toEqual(['18c1a000000010a1', '18c1a0000000a001']);
      expect(res.threads[1]).toMatchObject({ subject: 'Q4 planning offsite', messageCount: 3 });
    },
  },
  {
    action: 'gmail.get',
    params: { messageId: '18c1a0000000a001' },
    check: (r) => {
      const { message } = ResultSchemas['gmail.get'].parse(r);
      expect(message).toMatchObject({
        id: '18c1a0000000a001',
        threadId: '18c1a0000000a001',
        from: 'Dana Lee <dana@example.com>',
        to: ['owner@example.com'],
        cc: ['sam@example.com'],
        date: '2026-11-16T09:14:00.000Z',
        subject: 'Q4 planning offsite',
        labels: ['INBOX', 'IMPORTANT'],
      });
      expect(message.body).toContain('Q4 planning offsite on 24 November');
      expect(message.attachments).toEqual([
        { attachmentId: 'ANGjdJ8budget001', filename: 'offsite-budget.pdf', mimeType: 'application/pdf', size: 24576 },
      ]);
    },
  },
  {
    action: 'gmail.thread.get',
    params: { threadId: '18c1a0000000a001' },
    check: (r) => {
      const { thread } = ResultSchemas['gmail.thread.get'].parse(r);
      expect(thread.id).toBe('18c1a0000000a001');
      expect(thread.messages.map((m) => m.id)).toEqual(['18c1a0000000a001', '18c1a0000000a002', '18c1a0000000a003']);
      expect(thread.messages[2]?.to).toEqual(['owner@example.com', 'dana@example.com']);
      expect(thread.messages[0]?.attachments[0]?.filename).toBe('offsite-budget.pdf');
      expect(thread.messages[1]?.body).toContain('room details');
    },
  },
  {
    action: 'gmail.attachment',
    params: { messageId: '18c1a000000010a1', attachmentId: 'ANGjdJ8invoice02' },
    check: (r) => {
      const { attachment } = ResultSchemas['gmail.attachment'].parse(r);
      expect(attachment).toMatchObject({
        messageId: '18c1a000000010a1',
        attachmentId: 'ANGjdJ8invoice02',
        filename: 'invoice-2026-1142.pdf',
        mimeType: 'application/pdf',
        size: 8192,
      });
      expect(Buffer.from(attachment.dataBase64 ?? '', 'base64').length).toBe(8192);
    },
  },
  {
    action: 'gmail.labels.list',
    params: {},
    check: (r) => {
      const { labels } = ResultSchemas['gmail.labels.list'].parse(r);
      expect(labels).toContainEqual({ id: 'INBOX', name: 'INBOX', type: 'system' });
      expect(labels.find((l) => l.name === 'Clients')).toMatchObject({ type: 'user' });
    },
  },
  {
    action: 'gmail.drafts.list',
    params: {},
    needsDraft: true,
    check: (r) => {
      const { drafts } = ResultSchemas['gmail.drafts.list'].parse(r);
      expect(drafts).toHaveLength(1);
      expect(drafts[0]?.draftId).toMatch(/^r/);
    },
  },
  {
    action: 'calendar.events',
    params: {
      start: '2026-11-15T00:00:00Z',
      end: '2026-11-26T00:00:00Z',
      calendarIds: [A, 'team@group.calendar.google.com'],
    },
    check: (r) => {
      const res = ResultSchemas['calendar.events'].parse(r);
      // gog keeps the API order: calendar by calendar, each by start time.
      expect(res.events.map((e) => [e.calendarId, e.id])).toEqual([
        [A, 'evt2designreview'],
        [A, 'evt3contractcall'],
        [A, 'evt1offsite2026'],
        ['team@group.calendar.google.com', 'evt5releasefreeze'],
        ['team@group.calendar.google.com', 'evt4teamsync'],
      ]);
      expect(res.events[0]).toMatchObject({
        hangoutLink: 'https://meet.google.com/abc-defg-hij',
        start: '2026-11-19T15:00:00Z',
      });
      expect(res.events[3]).toMatchObject({ start: '2026-11-15', end: '2026-11-16' });
      expect(res.nextPageToken).toBeNull();
    },
  },
  {
    action: 'calendar.event',
    params: { calendarId: 'primary', eventId: 'evt1offsite2026' },
    check: (r) => {
      const { event } = ResultSchemas['calendar.event'].parse(r);
      expect(event).toMatchObject({
        calendarId: 'primary',
        id: 'evt1offsite2026',
        location: 'Harbour Room, 3rd floor',
      });
      expect(event.attendees).toContainEqual({ email: 'sam@example.com', responseStatus: 'tentative' });
    },
  },
  {
    action: 'gmail.messages.modify',
    params: { messageId: '18c1a0000000b001', add: ['STARRED'], remove: ['UNREAD'] },
    check: (r) =>
      expect(r).toEqual({ modified: '18c1a0000000b001', addedLabels: ['STARRED'], removedLabels: ['UNREAD'] }),
  },
  {
    action: 'gmail.archive',
    params: { messageIds: ['18c1a0000000c001', '18c1a0000000f001'] },
    check: (r) => expect(r).toEqual({ action: 'archived', count: 2, addedLabels: [], removedLabels: ['INBOX'] }),
  },
  {
    action: 'gmail.mark-read',
    params: { messageIds: ['18c1a0000000d001'] },
    check: (r) => expect(r).toMatchObject({ count: 1, removedLabels: ['UNREAD'] }),
  },
  {
    action: 'gmail.unread',
    params: { messageIds: ['18c1a0000000f001'] },
    check: (r) => expect(r).toMatchObject({ count: 1, addedLabels: ['UNREAD'] }),
  },
  {
    action: 'gmail.trash',
    params: { messageIds: ['18c1a0000000e001'] },
    check: (r) => expect(r).toMatchObject({ action: 'trashed', count: 1, addedLabels: ['TRASH'] }),
  },
  {
    action: 'gmail.drafts.create',
    params: {
      to: ['dana@example.com'],
      subject: 'Agenda',
      body: 'Draft agenda\nattached',
      replyToMessageId: '18c1a0000000a001',
    },
    check: (r) => {
      const res = ResultSchemas['gmail.drafts.create'].parse(r);
      expect(res.threadId).toBe('18c1a0000000a001');
      expect(res.draftId).toMatch(/^r/);
    },
  },
  {
    action: 'gmail.drafts.update',
    // Every field given: nothing needs filling from the draft, so the argv is exactly the plan's.
    params: { to: ['a@example.com'], cc: [], bcc: [], subject: 'Agenda v2', body: 'Updated' },
    needsDraft: true,
    check: (r) => expect(ResultSchemas['gmail.drafts.create'].parse(r).draftId).toMatch(/^r/),
  },
  {
    action: 'gmail.drafts.send',
    params: {},
    needsDraft: true,
    check: (r) => expect(ResultSchemas['gmail.send'].parse(r).messageId).toMatch(/^m/),
  },
  {
    action: 'gmail.drafts.delete',
    params: {},
    needsDraft: true,
    check: (r) => expect(ResultSchemas['gmail.drafts.delete'].parse(r).deleted).toBe(true),
  },
  {
    action: 'gmail.send',
    params: {
      to: ['priya@partner.example.org'],
      subject: 'Tier',
      body: 'We choose tier 2.',
      threadId: '18c1a0000000b001',
    },
    check: (r) => expect(ResultSchemas['gmail.send'].parse(r).threadId).toBe('18c1a0000000b001'),
  },
  {
    action: 'gmail.reply',
    params: { messageId: '18c1a0000000a003', body: 'Projector booked.', replyAll: true },
    check: (r) => expect(ResultSchemas['gmail.send'].parse(r).threadId).toBe('18c1a0000000a001'),
  },
  {
    action: 'gmail.forward',
    params: { messageId: '18c1a000000010a1', to: ['accounts@example.com'], body: 'Please pay.' },
    check: (r) => expect(ResultSchemas['gmail.send'].parse(r).messageId).toMatch(/^m/),
  },
  {
    action: 'calendar.create',
    params: {
      calendarId: 'primary',
      summary: 'Budget review',
      start: '2026-11-25T13:00:00Z',
      end: '2026-11-25T14:00:00Z',
      attendees: ['dana@example.com'],
      location: 'Room 4',
    },
    check: (r) => {
      const { event } = ResultSchemas['calendar.create'].parse(r);
      expect(event).toMatchObject({ calendarId: 'primary', summary: 'Budget review', location: 'Room 4' });
      expect(event.attendees).toEqual([{ email: 'dana@example.com', responseStatus: 'needsAction' }]);
    },
  },
  {
    action: 'calendar.update',
    params: { calendarId: A, eventId: 'evt1offsite2026', summary: 'Q4 offsite (moved)', start: '2026-11-24T10:00:00Z' },
    check: (r) => {
      const { event } = ResultSchemas['calendar.create'].parse(r);
      expect(event).toMatchObject({
        summary: 'Q4 offsite (moved)',
        start: '2026-11-24T10:00:00Z',
        end: '2026-11-24T17:00:00Z',
      });
    },
  },
  {
    action: 'calendar.delete',
    params: { calendarId: A, eventId: 'evt1offsite2026' },
    check: (r) => expect(r).toEqual({ deleted: true, eventId: 'evt1offsite2026' }),
  },
  {
    action: 'calendar.respond',
    params: { calendarId: A, eventId: 'evt3contractcall', response: 'accepted' },
    check: (r) => {
      const { event } = ResultSchemas['calendar.respond'].parse(r);
      expect(event.attendees).toContainEqual({ email: A, responseStatus: 'accepted' });
    },
  },
];

describe('fake gog end to end through createGogExecutor', () => {
  it('covers every action in the catalogue', () => {
    expect(new Set(CASES.map((c) => c.action))).toEqual(new Set(ACTION_NAMES));
  });

  it.each(CASES.map((c) => [c.action, c] as const))('%s', async (_name, c) => {
    const { cfg, home, executor } = await setup();
    let params = c.params;
    if (c.needsDraft) {
      const draft = ok(
        await executor.execute('gmail.drafts.create', { to: ['a@example.com'], subject: 's', body: 'b' }),
      );
      const { draftId } = ResultSchemas['gmail.drafts.create'].parse(draft);
      if (c.action !== 'gmail.drafts.list') params = { ...(c.params as object), draftId };
    }
    const before = (await outbox(home)).length;
    const outcome = await executor.execute(c.action, ActionParamSchemas[c.action].parse(params));
    const result = ok(outcome);
    c.check(result);
    expect(ResultSchemas[SHAPE[c.action]].safeParse(result).success).toBe(true);
    expect(outcome.info).toMatchObject({ exitCode: 0, attempts: 1 });
    expect(outcome.info.stdoutDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    if (c.action === 'gmail.attachment') {
      // The file gog wrote was read back and removed.
      expect(await readdir(join(home, 'mailwarden-attachments'))).toEqual([]);
    }
    const lines = (await outbox(home)).slice(before);
    if (ACTION_CLASS[c.action] === 'read') {
      expect(lines).toEqual([]);
    } else {
      const plan = planGogCall(c.action, ActionParamSchemas[c.action].parse(params), cfg);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ argv: plan.argv, stdin: plan.stdin ?? '' });
      // The outbox names gog's command path, which is the action name except for reply-all.
      const replyAll = (params as { replyAll?: boolean }).replyAll === true;
      expect(lines[0]?.command).toBe(replyAll ? 'gmail.reply-all' : c.action);
      expect(Number.isNaN(Date.parse(lines[0]?.at ?? ''))).toBe(false);
    }
  });

  it('with --wrap-untrusted the mailbox text arrives marked as external content', async () => {
    const { executor } = await setup({ wrapUntrusted: true });
    const { message } = ResultSchemas['gmail.get'].parse(
      ok(await executor.execute('gmail.get', { messageId: '18c1a0000000e001' })),
    );
    expect(message.body).toMatch(/^<<<EXTERNAL_UNTRUSTED_CONTENT id="[0-9a-f]{16}">>>\nSource: google_api\n---\n/);
    expect(message.body).toContain('attacker@evil.example');
    expect(message.body).toMatch(/<<<END_EXTERNAL_UNTRUSTED_CONTENT id="[0-9a-f]{16}">>>$/);
  });

  it('a hostile subject and a 1 MB body reach gog intact, with no flag taking effect', async () => {
    const { home, executor } = await setup({ noSend: true });
    const subject = '--gmail-no-send=false -a attacker@evil.example';
    const body = `--gmail-no-send=false\n${'y'.repeat(1_000_000)}`;
    const outcome = await executor.execute('gmail.drafts.create', { to: ['dana@example.com'], subject, body });
    expect(outcome.ok).toBe(true);
    const [line] = await outbox(home);
    expect(line?.stdin).toBe(body);
    expect(line?.argv).toContain(`--subject=${subject}`);
    const box = JSON.parse(await readFile(join(home, 'fake-mailbox.json'), 'utf8'));
    expect(box.drafts[0].message).toMatchObject({ subject, body, to: ['dana@example.com'] });
    // The same values on a send stay blocked by the fixed --gmail-no-send.
    const send = await executor.execute('gmail.send', { to: ['dana@example.com'], subject, body });
    expect(send).toMatchObject({ ok: false, code: 'GOG_BLOCKED' });
  });
});
