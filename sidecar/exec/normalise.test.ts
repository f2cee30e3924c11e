import { describe, expect, it } from 'vitest';
import { bestBody, GogOutputError, splitAddresses } from './normalise.ts';
import { normaliseOutput } from './plan.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('splitAddresses', () => {
  it('splits on commas outside quotes and angle brackets', () => {
    expect(splitAddresses('"Lee, Dana" <dana@example.com>, sam@example.com')).toEqual([
      '"Lee, Dana" <dana@example.com>',
      'sam@example.com',
    ]);
    expect(splitAddresses('')).toEqual([]);
  });
});

describe('bestBody', () => {
  it('prefers text/plain, falls back to stripped html, skips attachments', () => {
    const payload = {
      mimeType: 'multipart/mixed',
      parts: [
        { mimeType: 'text/plain', filename: 'notes.txt', body: { attachmentId: 'a', data: b64('attached') } },
        { mimeType: 'text/html', body: { data: b64('<p>Hello <b>you</b></p>') } },
      ],
    };
    expect(bestBody(payload)).toBe('Hello you');
    expect(bestBody({ mimeType: 'text/plain', body: { data: b64('plain') } })).toBe('plain');
  });
});

describe('normaliseOutput', () => {
  it('maps an empty search page', () => {
    expect(normaliseOutput('gmail.search', { query: 'x' }, { nextPageToken: '', threads: null })).toEqual({
      threads: [],
      nextPageToken: null,
    });
  });

  it('gives several calendars their own tokens, never one merged token', () => {
    const out = normaliseOutput(
      'calendar.events',
      { calendarIds: ['a', 'b'] },
      {
        events: [
          { id: 'e', summary: 's', start: { date: '2026-11-20' }, end: { date: '2026-11-21' }, CalendarID: 'b' },
        ],
        nextPageTokens: [
          { calendarId: 'a', nextPageToken: '' },
          { calendarId: 'b', nextPageToken: 'tok' },
        ],
      },
    );
    expect(out).toEqual({
      events: [{ calendarId: 'b', id: 'e', summary: 's', start: '2026-11-20', end: '2026-11-21' }],
      nextPageToken: null,
      nextPageTokens: [{ calendarId: 'b', nextPageToken: 'tok' }],
    });
  });

  it('rejects a number where gog prints internalDate as a string', () => {
    expect(() =>
      normaliseOutput(
        'gmail.thread.get',
        { threadId: 't' },
        { thread: { id: 't', messages: [{ id: 'm', threadId: 't', internalDate: 5 }] } },
      ),
    ).toThrow(GogOutputError);
  });
});
