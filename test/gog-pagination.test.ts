// Paging through drafts and events with the real gog (against the emulator) and the fake: every page is
// reachable, a token goes back to gog, and a calendar that fails in a multi-calendar list is not swallowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGogExecutor, type GogOutcome } from '../sidecar/exec/index.ts';
import { type Backend, conformanceMailbox, fakeBackend, realBackend } from './support/gog-backends.ts';
import { requireRealGog } from './support/real-gog.ts';

const real = requireRealGog('gog pagination');

function ok<T>(o: GogOutcome): T {
  if (!o.ok) throw new Error(`${o.code}: ${o.message}`);
  return o.result as T;
}

/** The conformance mailbox with 25 drafts (gog lists 20 by default). */
function manyDrafts() {
  const box = conformanceMailbox();
  box.drafts = Array.from({ length: 25 }, (_, i) => ({
    id: `rdraft${String(i).padStart(3, '0')}`,
    message: {
      id: `mdraft${String(i).padStart(3, '0')}`,
      threadId: `tdraft${String(i).padStart(3, '0')}`,
      from: 'owner@example.com',
      to: ['dana@example.com'],
      subject: `Draft ${i}`,
      body: 'text',
    },
  }));
  return box;
}

type Drafts = { drafts: { draftId: string }[]; nextPageToken?: string | null };
type Events = { events: { id: string; calendarId: string }[]; nextPageToken: string | null };

for (const name of ['real', 'fake'] as const) {
  describe.skipIf(name === 'real' && !real).sequential(`paging with the ${name} gog`, () => {
    let b: Backend;
    beforeAll(async () => {
      b = name === 'real' ? await realBackend(real!.binary, manyDrafts()) : await fakeBackend(manyDrafts());
    });
    afterAll(async () => {
      await b?.close();
    });

    it('drafts.list reaches every draft, page by page', async () => {
      const ex = createGogExecutor(b.cfg);
      const first = ok<Drafts>(await ex.execute('gmail.drafts.list', { max: 10 }));
      expect(first.drafts).toHaveLength(10);
      expect(first.nextPageToken).toEqual(expect.any(String));
      const seen = first.drafts.map((d) => d.draftId);
      let token = first.nextPageToken;
      while (token) {
        const page = ok<Drafts>(await ex.execute('gmail.drafts.list', { max: 10, pageToken: token }));
        seen.push(...page.drafts.map((d) => d.draftId));
        token = page.nextPageToken;
      }
      expect(new Set(seen).size).toBe(25);
    });

    it('calendar.events passes the page token back to gog', async () => {
      const ex = createGogExecutor(b.cfg);
      const window = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z', calendarIds: ['owner@example.com'] };
      const first = ok<Events>(await ex.execute('calendar.events', { ...window, max: 1 }));
      expect(first.events).toHaveLength(1);
      expect(first.nextPageToken).toEqual(expect.any(String));
      const second = ok<Events>(
        await ex.execute('calendar.events', { ...window, max: 1, pageToken: first.nextPageToken as string }),
      );
      expect(second.events).toHaveLength(1);
      expect(second.events[0]!.id).not.toBe(first.events[0]!.id);
    });

    it('a page token with several calendars is refused before gog runs', async () => {
      const out = await createGogExecutor(b.cfg).execute('calendar.events', {
        calendarIds: ['owner@example.com', 'team@group.calendar.google.com'],
        pageToken: 'MQ',
      });
      expect(out).toMatchObject({ ok: false, code: 'GOG_USAGE', message: /one calendar/ });
    });
  });
}

describe.skipIf(!real)('a multi-calendar list with one failing calendar', () => {
  it('fails naming the calendar instead of returning a silently partial list', async () => {
    const b = await realBackend(real!.binary, conformanceMailbox());
    try {
      b.emulator!.fault({ status: 403, path: '/calendars/team%40group.calendar.google.com/events' });
      const out = await createGogExecutor(b.cfg).execute('calendar.events', {
        calendarIds: ['owner@example.com', 'team@group.calendar.google.com'],
      });
      expect(out).toMatchObject({ ok: false, code: 'GOG_FAILED' });
      if (!out.ok) expect(out.message).toContain('team@group.calendar.google.com');
    } finally {
      await b.close();
    }
  });
});
