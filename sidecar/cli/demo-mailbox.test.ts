import { describe, expect, it } from 'vitest';
import { DEMO_REFERENCE_DAY, rebaseDemoMailbox } from './demo-mailbox.ts';

describe('demo mailbox rebasing', () => {
  const mailbox = {
    account: 'owner@example.com',
    messages: [{ id: 'm1', date: '2026-11-22T08:05:00Z' }],
    drafts: [],
    events: [{ id: 'e1', start: '2026-11-24T09:00:00Z', end: '2026-11-15' }],
  };

  it('leaves the mailbox alone on its reference day', () => {
    expect(rebaseDemoMailbox(mailbox, new Date(DEMO_REFERENCE_DAY + 3600_000))).toEqual(mailbox);
  });

  it('moves dates by whole days, keeping times of day and date-only values', () => {
    const out = rebaseDemoMailbox(mailbox, new Date('2027-01-05T23:00:00Z')) as typeof mailbox;
    expect(out.messages[0]!.date).toBe('2027-01-05T08:05:00Z');
    expect(out.events[0]!.start).toBe('2027-01-07T09:00:00Z');
    expect(out.events[0]!.end).toBe('2026-12-29');
    expect(out.account).toBe('owner@example.com');
  });
});
