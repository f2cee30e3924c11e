// One scenario per catalogue action, run in order over the conformance mailbox, each checked on the mailbox it
// leaves behind (what was sent, to whom with cc/bcc, which labels changed, which event exists with whom).
import { expect } from 'vitest';
import type { FixtureMailbox, FixtureMessage } from '../../fixtures/google-emulator/server.mjs';
import type { ActionName } from '../../shared/index.ts';

export const OFFSITE = '18c1a0000000a001';
export const CONTRACT = '18c1a0000000b001';
export const NO_SUBJECT = '18c1a0000000f001';
export const BUDGET = 'ANGjdJ8budget001';
export const OWNER_CAL = 'owner@example.com';

export interface ScenarioContext {
  /** Results of earlier scenarios by action. */
  readonly results: Partial<Record<ActionName, unknown>>;
}

export interface Scenario {
  readonly action: ActionName;
  params(ctx: ScenarioContext): Record<string, unknown>;
  check(result: unknown, before: FixtureMailbox, after: FixtureMailbox, ctx: ScenarioContext): void;
}

const msg = (box: FixtureMailbox, id: string): FixtureMessage => {
  const m = box.messages.find((x) => x.id === id);
  if (!m) throw new Error(`no message ${id} in the mailbox`);
  return m;
};
const bare = (a: string) => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase();
const bares = (list: readonly string[] | undefined) => (list ?? []).map(bare).sort();
const newSent = (before: FixtureMailbox, after: FixtureMailbox) =>
  after.messages.filter((m) => !before.messages.some((b) => b.id === m.id));
const unchanged = (before: FixtureMailbox, after: FixtureMailbox) => {
  expect(after.messages).toEqual(before.messages);
  expect(after.events).toEqual(before.events);
  expect(after.drafts).toEqual(before.drafts);
};
const draftId = (ctx: ScenarioContext) => (ctx.results['gmail.drafts.create'] as { draftId: string }).draftId;
const createdEvent = (ctx: ScenarioContext) => (ctx.results['calendar.create'] as { event: { id: string } }).event.id;

export const SCENARIOS: readonly Scenario[] = [
  {
    action: 'gmail.search',
    params: () => ({ query: 'in:inbox', max: 50 }),
    check(result, before, after) {
      const threads = (result as { threads: { threadId: string; subject: string; from: string }[] }).threads;
      expect(threads.map((t) => t.threadId)).toEqual(expect.arrayContaining([OFFSITE, NO_SUBJECT]));
      expect(threads.find((t) => t.threadId === NO_SUBJECT)).toMatchObject({ subject: '' });
      // gog takes from and subject of a thread from its first message.
      const contract = before.messages.filter((m) => m.threadId === CONTRACT);
      expect(threads.find((t) => t.threadId === CONTRACT)).toMatchObject({
        from: contract[0]!.from,
        subject: contract[0]!.subject,
      });
      unchanged(before, after);
    },
  },
  {
    action: 'gmail.get',
    params: () => ({ messageId: OFFSITE }),
    check(result, before, after) {
      const m = (result as { message: Record<string, unknown> }).message;
      expect(m).toMatchObject({ id: OFFSITE, subject: 'Q4 planning offsite', cc: ['sam@example.com'] });
      unchanged(before, after);
    },
  },
  {
    action: 'gmail.thread.get',
    params: () => ({ threadId: CONTRACT }),
    check(result, before, after) {
      const t = (result as { thread: { id: string; messages: { from: string; subject: string }[] } }).thread;
      const inBox = before.messages.filter((m) => m.threadId === CONTRACT);
      expect(t.messages).toHaveLength(inBox.length);
      expect(t.messages[0]?.subject).toBe(inBox[0]?.subject);
      unchanged(before, after);
    },
  },
  {
    action: 'gmail.attachment',
    params: () => ({ messageId: OFFSITE, attachmentId: BUDGET }),
    check(result, before, after) {
      const a = (result as { attachment: { filename: string; mimeType: string; dataBase64: string } }).attachment;
      expect(a).toMatchObject({ filename: 'offsite-budget.pdf', mimeType: 'application/pdf' });
      expect(Buffer.from(a.dataBase64, 'base64')).toHaveLength(24576);
      unchanged(before, after);
    },
  },
  {
    action: 'gmail.labels.list',
    params: () => ({}),
    check(result, before, after) {
      const labels = (result as { labels: { id: string; name: string }[] }).labels;
      expect(labels.map((l) => l.name)).toEqual(expect.arrayContaining(['INBOX', 'UNREAD', 'TRASH']));
      unchanged(before, after);
    },
  },
  {
    action: 'gmail.drafts.create',
    params: () => ({
      to: ['dana@example.com'],
      cc: ['sam@example.com'],
      bcc: ['audit@example.com'],
      subject: 'Offsite agenda',
      body: 'Draft agenda attached.\n',
    }),
    check(result, before, after) {
      const id = (result as { draftId: string }).draftId;
      const d = after.drafts.find((x) => x.id === id);
      expect(d).toBeDefined();
      expect(bares(d!.message.to)).toEqual(['dana@example.com']);
      expect(bares(d!.message.cc)).toEqual(['sam@example.com']);
      expect(bares(d!.message.bcc)).toEqual(['audit@example.com']);
      expect(d!.message.subject).toBe('Offsite agenda');
      expect(d!.message.body?.trim()).toBe('Draft agenda attached.');
      expect(after.messages).toEqual(before.messages);
    },
  },
  {
    action: 'gmail.drafts.list',
    params: () => ({}),
    check(result, before, after, ctx) {
      const drafts = (result as { drafts: { draftId: string }[] }).drafts;
      expect(drafts.map((d) => d.draftId)).toContain(draftId(ctx));
      unchanged(before, after);
    },
  },
  {
    action: 'gmail.drafts.update',
    // Only the subject changes: the draft must keep its body, cc and bcc.
    params: (ctx) => ({ draftId: draftId(ctx), subject: 'Offsite agenda v2' }),
    check(_result, _before, after, ctx) {
      const d = after.drafts.find((x) => x.id === draftId(ctx));
      expect(d).toBeDefined();
      expect(d!.message.subject).toBe('Offsite agenda v2');
      expect(bares(d!.message.to)).toEqual(['dana@example.com']);
      expect(bares(d!.message.cc)).toEqual(['sam@example.com']);
      expect(bares(d!.message.bcc)).toEqual(['audit@example.com']);
      expect(d!.message.body?.trim()).toBe('Draft agenda attached.');
    },
  },
  {
    action: 'gmail.drafts.send',
    params: (ctx) => ({ draftId: draftId(ctx) }),
    check(_result, before, after, ctx) {
      expect(after.drafts.some((d) => d.id === draftId(ctx))).toBe(false);
      const sent = newSent(before, after);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.labels).toContain('SENT');
      expect(sent[0]!.subject).toBe('Offsite agenda v2');
      expect(bares(sent[0]!.to)).toEqual(['dana@example.com']);
      expect(bares(sent[0]!.cc)).toEqual(['sam@example.com']);
      expect(bares(sent[0]!.bcc)).toEqual(['audit@example.com']);
    },
  },
  {
    action: 'gmail.send',
    params: () => ({
      to: ['priya@partner.example.org'],
      cc: ['sam@example.com'],
      bcc: ['audit@example.com'],
      subject: 'Contract follow-up',
      body: 'Following up on the renewal.\n',
    }),
    check(_result, before, after) {
      const sent = newSent(before, after);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ subject: 'Contract follow-up', labels: ['SENT'] });
      expect(bares(sent[0]!.to)).toEqual(['priya@partner.example.org']);
      expect(bares(sent[0]!.cc)).toEqual(['sam@example.com']);
      expect(bares(sent[0]!.bcc)).toEqual(['audit@example.com']);
      expect(sent[0]!.body?.trim()).toBe('Following up on the renewal.');
    },
  },
  {
    action: 'gmail.reply',
    params: () => ({ messageId: CONTRACT, body: 'Thanks, agreed.\n', cc: ['sam@example.com'] }),
    check(_result, before, after) {
      const sent = newSent(before, after);
      expect(sent).toHaveLength(1);
      const orig = msg(before, CONTRACT);
      expect(sent[0]!.threadId).toBe(orig.threadId);
      expect(bares(sent[0]!.to)).toEqual([bare(orig.from)]);
      expect(bares(sent[0]!.cc)).toEqual(['sam@example.com']);
      expect(sent[0]!.subject).toMatch(/^Re: /);
      expect(sent[0]!.body).toContain('Thanks, agreed.');
    },
  },
  {
    action: 'gmail.forward',
    params: () => ({ messageId: CONTRACT, to: ['legal@example.com'], body: 'FYI' }),
    check(_result, before, after) {
      const sent = newSent(before, after);
      expect(sent).toHaveLength(1);
      expect(bares(sent[0]!.to)).toEqual(['legal@example.com']);
      expect(sent[0]!.subject).toMatch(/^Fwd: /);
      expect(sent[0]!.body).toContain('FYI');
    },
  },
  {
    action: 'gmail.messages.modify',
    params: () => ({ messageId: OFFSITE, add: ['STARRED'], remove: ['IMPORTANT'] }),
    check(_result, before, after) {
      expect(msg(after, OFFSITE).labels).toContain('STARRED');
      expect(msg(after, OFFSITE).labels).not.toContain('IMPORTANT');
      expect(after.messages.length).toBe(before.messages.length);
    },
  },
  {
    action: 'gmail.mark-read',
    params: () => ({ messageIds: [NO_SUBJECT] }),
    check(_result, _before, after) {
      expect(msg(after, NO_SUBJECT).labels).not.toContain('UNREAD');
    },
  },
  {
    action: 'gmail.unread',
    params: () => ({ messageIds: [NO_SUBJECT] }),
    check(_result, _before, after) {
      expect(msg(after, NO_SUBJECT).labels).toContain('UNREAD');
    },
  },
  {
    action: 'gmail.archive',
    params: () => ({ messageIds: [NO_SUBJECT] }),
    check(_result, _before, after) {
      expect(msg(after, NO_SUBJECT).labels).not.toContain('INBOX');
    },
  },
  {
    action: 'gmail.trash',
    params: () => ({ messageIds: [NO_SUBJECT] }),
    check(_result, _before, after) {
      expect(msg(after, NO_SUBJECT).labels).toContain('TRASH');
    },
  },
  {
    action: 'gmail.drafts.create',
    params: () => ({ to: ['dana@example.com'], subject: 'Scratch', body: 'to be deleted' }),
    check(result, _before, after) {
      expect(after.drafts.some((d) => d.id === (result as { draftId: string }).draftId)).toBe(true);
    },
  },
  {
    action: 'gmail.drafts.delete',
    params: (ctx) => ({ draftId: draftId(ctx) }),
    check(_result, _before, after, ctx) {
      expect(after.drafts.some((d) => d.id === draftId(ctx))).toBe(false);
    },
  },
  {
    action: 'calendar.events',
    params: () => ({ start: '2026-11-20T00:00:00Z', end: '2026-11-30T00:00:00Z' }),
    check(result, before, after) {
      const events = (result as { events: { id: string }[] }).events;
      expect(events.map((e) => e.id)).toEqual(expect.arrayContaining(['evt1offsite2026', 'evt3contractcall']));
      unchanged(before, after);
    },
  },
  {
    action: 'calendar.event',
    params: () => ({ calendarId: OWNER_CAL, eventId: 'evt1offsite2026' }),
    check(result, before, after) {
      expect((result as { event: Record<string, unknown> }).event).toMatchObject({
        id: 'evt1offsite2026',
        calendarId: OWNER_CAL,
        summary: 'Q4 planning offsite',
      });
      unchanged(before, after);
    },
  },
  {
    action: 'calendar.create',
    params: () => ({
      calendarId: OWNER_CAL,
      summary: 'Vendor lunch',
      start: '2026-11-26T12:00:00Z',
      end: '2026-11-26T13:00:00Z',
      attendees: ['dana@example.com', 'priya@partner.example.org'],
      location: 'Cafe',
      description: 'Quarterly catch-up',
    }),
    check(result, before, after) {
      const id = (result as { event: { id: string } }).event.id;
      const ev = after.events.find((e) => e.id === id);
      expect(ev).toMatchObject({ calendarId: OWNER_CAL, summary: 'Vendor lunch', location: 'Cafe' });
      expect(Date.parse(ev!.start)).toBe(Date.parse('2026-11-26T12:00:00Z'));
      expect((ev!.attendees ?? []).map((a) => a.email).sort()).toEqual([
        'dana@example.com',
        'priya@partner.example.org',
      ]);
      expect(after.events).toHaveLength(before.events.length + 1);
    },
  },
  {
    action: 'calendar.update',
    params: (ctx) => ({ calendarId: OWNER_CAL, eventId: createdEvent(ctx), summary: 'Vendor lunch (moved)' }),
    check(_result, before, after, ctx) {
      const ev = after.events.find((e) => e.id === createdEvent(ctx));
      expect(ev).toMatchObject({ summary: 'Vendor lunch (moved)', location: 'Cafe' });
      expect((ev!.attendees ?? []).length).toBe(2);
      expect(after.events).toHaveLength(before.events.length);
    },
  },
  {
    action: 'calendar.respond',
    params: () => ({ calendarId: OWNER_CAL, eventId: 'evt3contractcall', response: 'tentative' }),
    check(_result, _before, after) {
      const ev = after.events.find((e) => e.id === 'evt3contractcall');
      expect(ev?.attendees?.find((a) => a.email === 'owner@example.com')?.responseStatus).toBe('tentative');
    },
  },
  {
    action: 'calendar.delete',
    params: (ctx) => ({ calendarId: OWNER_CAL, eventId: createdEvent(ctx) }),
    check(_result, before, after) {
      expect(after.events).toHaveLength(before.events.length - 1);
    },
  },
];
