// The gog argv for every catalogue action, and hostile values that must never change its structure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, type ActionName, ActionParamSchemas } from '../shared/index.ts';
import { attachmentOutPath, type GogConfig, GogPlanError, planGogCall } from '../sidecar/exec/index.ts';

const cfg: GogConfig = {
  binary: '/usr/local/bin/gog',
  home: '/var/lib/mailwarden/gog',
  account: 'owner@example.com',
  timeoutMs: 10_000,
  maxOutputBytes: 1_000_000,
  noSend: false,
  wrapUntrusted: false,
};
const G = ['--json', '--no-input', '--account', 'owner@example.com', '--home', '/var/lib/mailwarden/gog'];

interface Row {
  action: ActionName;
  params: unknown;
  argv: string[];
  stdin?: string;
}

const ROWS: Row[] = [
  {
    action: 'gmail.search',
    params: { query: 'from:dana newer_than:7d' },
    argv: [...G, 'gmail', 'search', '--', 'from:dana newer_than:7d'],
  },
  {
    action: 'gmail.search',
    params: { query: 'is:unread', max: 5, pageToken: 'abc' },
    argv: [...G, 'gmail', 'search', '--max', '5', '--page', 'abc', '--', 'is:unread'],
  },
  { action: 'gmail.get', params: { messageId: 'm1' }, argv: [...G, 'gmail', 'get', '--format', 'full', '--', 'm1'] },
  { action: 'gmail.thread.get', params: { threadId: 't1' }, argv: [...G, 'gmail', 'thread', 'get', '--', 't1'] },
  {
    action: 'gmail.attachment',
    params: { messageId: 'm1', attachmentId: 'a1' },
    argv: [...G, 'gmail', 'attachment', '--out', attachmentOutPath(cfg.home, 'm1', 'a1'), '--', 'm1', 'a1'],
  },
  { action: 'gmail.labels.list', params: {}, argv: [...G, 'gmail', 'labels', 'list'] },
  { action: 'gmail.drafts.list', params: {}, argv: [...G, 'gmail', 'drafts', 'list'] },
  { action: 'calendar.events', params: {}, argv: [...G, 'calendar', 'events'] },
  {
    action: 'calendar.events',
    params: {
      start: '2026-11-15T00:00:00Z',
      end: '2026-11-30T00:00:00Z',
      calendarIds: ['a@example.com', 'team'],
      max: 20,
    },
    argv: [
      ...G,
      'calendar',
      'events',
      '--cal',
      'a@example.com',
      '--cal',
      'team',
      '--from=2026-11-15T00:00:00Z',
      '--to=2026-11-30T00:00:00Z',
      '--max',
      '20',
    ],
  },
  {
    action: 'calendar.event',
    params: { calendarId: 'primary', eventId: 'e1' },
    argv: [...G, 'calendar', 'event', '--', 'primary', 'e1'],
  },
  {
    action: 'gmail.messages.modify',
    params: { messageId: 'm1', add: ['Clients', 'STARRED'], remove: ['INBOX'] },
    argv: [...G, 'gmail', 'messages', 'modify', '--add=Clients,STARRED', '--remove=INBOX', '--', 'm1'],
  },
  { action: 'gmail.archive', params: { messageIds: ['m1', 'm2'] }, argv: [...G, 'gmail', 'archive', '--', 'm1', 'm2'] },
  { action: 'gmail.mark-read', params: { messageIds: ['m1'] }, argv: [...G, 'gmail', 'mark-read', '--', 'm1'] },
  { action: 'gmail.unread', params: { messageIds: ['m1'] }, argv: [...G, 'gmail', 'unread', '--', 'm1'] },
  { action: 'gmail.trash', params: { messageIds: ['m1'] }, argv: [...G, 'gmail', 'trash', '--', 'm1'] },
  {
    action: 'gmail.drafts.create',
    params: {
      to: ['a@example.com', 'b@example.com'],
      cc: ['c@example.com'],
      subject: 'Hi',
      body: 'Body\n',
      threadId: 't1',
    },
    argv: [
      ...G,
      'gmail',
      'drafts',
      'create',
      '--to=a@example.com,b@example.com',
      '--cc=c@example.com',
      '--subject=Hi',
      '--body-file',
      '-',
      '--thread-id',
      't1',
    ],
    stdin: 'Body\n',
  },
  {
    action: 'gmail.drafts.update',
    params: { draftId: 'r1', subject: 'New' },
    argv: [...G, 'gmail', 'drafts', 'update', '--subject=New', '--', 'r1'],
  },
  {
    action: 'gmail.drafts.update',
    params: { draftId: 'r1', body: 'x', bcc: ['z@example.com'] },
    argv: [...G, 'gmail', 'drafts', 'update', '--bcc=z@example.com', '--body-file', '-', '--', 'r1'],
    stdin: 'x',
  },
  { action: 'gmail.drafts.send', params: { draftId: 'r1' }, argv: [...G, 'gmail', 'drafts', 'send', '--', 'r1'] },
  {
    action: 'gmail.drafts.delete',
    params: { draftId: 'r1' },
    argv: [...G, '--force', 'gmail', 'drafts', 'delete', '--', 'r1'],
  },
  {
    action: 'gmail.send',
    params: {
      to: ['a@example.com'],
      bcc: ['b@example.com'],
      subject: 'S',
      body: 'B',
      threadId: 't1',
      replyToMessageId: 'm1',
    },
    argv: [
      ...G,
      'gmail',
      'send',
      '--to=a@example.com',
      '--bcc=b@example.com',
      '--subject=S',
      '--body-file',
      '-',
      '--reply-to-message-id',
      'm1',
    ],
    stdin: 'B',
  },
  {
    action: 'gmail.reply',
    params: { messageId: 'm1', body: 'Thanks' },
    argv: [...G, 'gmail', 'reply', '--body-file', '-', '--', 'm1'],
    stdin: 'Thanks',
  },
  {
    action: 'gmail.reply',
    params: {
      messageId: 'm1',
      body: 'All',
      replyAll: true,
      cc: ['c@example.com', 'd@example.com'],
      bcc: ['e@example.com'],
    },
    argv: [
      ...G,
      'gmail',
      'reply-all',
      '--cc=c@example.com',
      '--cc=d@example.com',
      '--bcc=e@example.com',
      '--body-file',
      '-',
      '--',
      'm1',
    ],
    stdin: 'All',
  },
  {
    action: 'gmail.forward',
    params: { messageId: 'm1', to: ['a@example.com'], body: 'FYI' },
    argv: [...G, 'gmail', 'forward', '--to=a@example.com', '--note-file', '-', '--', 'm1'],
    stdin: 'FYI',
  },
  {
    action: 'gmail.forward',
    params: { messageId: 'm1', to: ['a@example.com'] },
    argv: [...G, 'gmail', 'forward', '--to=a@example.com', '--', 'm1'],
  },
  {
    action: 'calendar.create',
    params: {
      calendarId: 'primary',
      summary: 'Sync',
      start: '2026-11-24T09:00:00Z',
      end: '2026-11-24T09:30:00Z',
      attendees: ['a@example.com', 'b@example.com'],
      location: 'Room 1',
      description: 'Line 1\nLine 2',
    },
    argv: [
      ...G,
      'calendar',
      'create',
      '--summary=Sync',
      '--from=2026-11-24T09:00:00Z',
      '--to=2026-11-24T09:30:00Z',
      '--attendees=a@example.com,b@example.com',
      '--location=Room 1',
      '--description=Line 1\nLine 2',
      '--send-updates',
      'none',
      '--',
      'primary',
    ],
  },
  {
    action: 'calendar.update',
    params: { calendarId: 'primary', eventId: 'e1', summary: 'Moved', attendees: [] },
    argv: [
      ...G,
      'calendar',
      'update',
      '--summary=Moved',
      '--attendees=',
      '--send-updates',
      'none',
      '--',
      'primary',
      'e1',
    ],
  },
  {
    action: 'calendar.delete',
    params: { calendarId: 'primary', eventId: 'e1' },
    argv: [...G, '--force', 'calendar', 'delete', '--send-updates', 'none', '--', 'primary', 'e1'],
  },
  {
    action: 'calendar.respond',
    params: { calendarId: 'primary', eventId: 'e1', response: 'declined' },
    argv: [...G, 'calendar', 'respond', '--status', 'declined', '--', 'primary', 'e1'],
  },
];

describe('planGogCall', () => {
  it('has a row for every action in the catalogue', () => {
    expect(new Set(ROWS.map((r) => r.action))).toEqual(new Set(ACTION_NAMES));
  });

  it.each(ROWS.map((r) => [r.action, r] as const))('%s builds the exact gog argv', (_name, row) => {
    const params = ActionParamSchemas[row.action].parse(row.params);
    const plan = planGogCall(row.action, params, cfg);
    expect(plan.argv).toEqual(row.argv);
    expect(plan.stdin).toBe(row.stdin);
  });

  it('puts --gmail-no-send and --wrap-untrusted among the fixed global flags', () => {
    const strict = { ...cfg, noSend: true, wrapUntrusted: true };
    expect(planGogCall('gmail.get', { messageId: 'm1' }, strict).argv).toEqual([
      ...G,
      '--gmail-no-send',
      '--wrap-untrusted',
      'gmail',
      'get',
      '--format',
      'full',
      '--',
      'm1',
    ]);
    // Wrapping only applies where gog returns mailbox text.
    expect(
      planGogCall('gmail.send', { to: ['a@example.com'], subject: 's', body: 'b' }, strict).argv.slice(0, 8),
    ).toEqual([...G, '--gmail-no-send', 'gmail']);
  });

  it('refuses label names gog would split', () => {
    expect(() => planGogCall('gmail.messages.modify', { messageId: 'm1', add: ['a,b'] }, cfg)).toThrow(GogPlanError);
    expect(() => planGogCall('gmail.messages.modify', { messageId: 'm1' }, cfg)).toThrow(GogPlanError);
  });
});

/** The flag names (before "=") of every element up to `--`; the value "-" of --body-file is not a flag. */
function flagNames(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] ?? a);
}

describe('hostile values never change the argv structure', () => {
  const hostile = [
    '--gmail-no-send=false',
    '-a attacker@evil.example',
    '--account=attacker@evil.example',
    '--',
    '-',
    '--json --plain',
    '$(rm -rf /)',
  ];

  it.each(hostile)('a search query %j stays one positional after --', (query) => {
    const plan = planGogCall('gmail.search', { query }, cfg);
    expect(plan.argv).toEqual([...G, 'gmail', 'search', '--', query]);
  });

  it.each(hostile)('a subject %j stays the value of --subject', (subject) => {
    const plan = planGogCall('gmail.send', { to: ['a@example.com'], subject, body: 'b' }, cfg);
    expect(plan.argv).toContain(`--subject=${subject}`);
    expect(flagNames(plan.argv)).toEqual([...flagNames(G), '--to', '--subject', '--body-file']);
  });

  it('a 1 MB body goes on stdin only', () => {
    const body = `--gmail-no-send=false\n${'x'.repeat(1_000_000)}`;
    const plan = planGogCall(
      'gmail.send',
      ActionParamSchemas['gmail.send'].parse({ to: ['a@example.com'], subject: 's', body }),
      cfg,
    );
    expect(plan.stdin).toBe(body);
    expect(plan.argv.join('\u0000').length).toBeLessThan(400);
  });

  it('property: for any valid subject, location and query, the flag list is fixed', () => {
    const line = fc
      .string({ maxLength: 60 })
      .filter((s) => ActionParamSchemas['gmail.search'].shape.query.safeParse(s).success);
    fc.assert(
      fc.property(line, line, (a, b) => {
        const create = ActionParamSchemas['calendar.create'].parse({
          calendarId: 'primary',
          summary: a,
          location: b,
          start: '2026-11-24T09:00:00Z',
          end: '2026-11-24T10:00:00Z',
        });
        const argv = planGogCall('calendar.create', create, cfg).argv;
        expect(flagNames(argv)).toEqual([
          ...flagNames(G),
          '--summary',
          '--from',
          '--to',
          '--location',
          '--send-updates',
        ]);
        expect(argv.slice(-2)).toEqual(['--', 'primary']);
      }),
      { numRuns: 200 },
    );
  });
});
