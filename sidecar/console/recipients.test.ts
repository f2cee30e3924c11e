import { describe, expect, it } from 'vitest';
import { markRecipients } from './recipients.ts';

const ACCOUNT = 'owner@example.com';

describe('markRecipients', () => {
  it.each([
    ['same domain', 'a@example.com', 'internal'],
    ['case differs', 'B@EXAMPLE.COM', 'internal'],
    ['a subdomain is not the account domain', 'c@mail.example.com', 'outside'],
    ['a look-alike suffix', 'd@example.com.evil.net', 'outside'],
    ['another domain', 'e@other.org', 'outside'],
  ])('%s: %s is %s', (_l, address, kind) => {
    expect(markRecipients({ params: { to: [address] } }, ACCOUNT)).toEqual([{ address, source: 'to', kind }]);
  });

  it('marks every field, including bcc and attendees, and allowlisted addresses and domains', () => {
    const card = {
      params: { to: ['a@example.com'], cc: ['p@partner.io'], bcc: ['x@leak.net'], attendees: ['s@trusted.org'] },
      allowlist: { recipients: ['P@partner.io'], domains: ['trusted.org'] },
    };
    expect(markRecipients(card, ACCOUNT)).toEqual([
      { address: 'a@example.com', source: 'to', kind: 'internal' },
      { address: 'p@partner.io', source: 'cc', kind: 'allowlisted' },
      { address: 'x@leak.net', source: 'bcc', kind: 'outside' },
      { address: 's@trusted.org', source: 'attendee', kind: 'allowlisted' },
    ]);
  });

  it('shows a subdomain of an allowlisted domain as outside, as the outbound rules treat it', () => {
    const card = { params: { to: ['s@sub.trusted.org'] }, allowDomains: ['trusted.org'] };
    expect(markRecipients(card, ACCOUNT)).toEqual([{ address: 's@sub.trusted.org', source: 'to', kind: 'outside' }]);
  });

  it('shows the standing the sidecar stated on the card', () => {
    const card = {
      params: { to: ['a@partner.io'] },
      derivedRecipients: [{ address: 'a@partner.io', source: 'to', standing: 'allowlisted' }],
    };
    expect(markRecipients(card, ACCOUNT)).toEqual([{ address: 'a@partner.io', source: 'to', kind: 'allowlisted' }]);
  });

  it('counts the internal domains a card carries as internal', () => {
    const card = { params: { to: ['a@corp.example', 'b@other.example'] }, internalDomains: ['CORP.example'] };
    expect(markRecipients(card, ACCOUNT).map((r) => r.kind)).toEqual(['internal', 'outside']);
  });

  it('adds derived recipients that the params do not name (reply-all targets, forwards)', () => {
    const card = {
      params: { messageId: 'm1', body: 'ok' },
      derivedRecipients: [
        { address: 'boss@example.com', source: 'reply' },
        { address: 'stranger@far.away', source: 'reply_all' },
      ],
    };
    expect(markRecipients(card, ACCOUNT)).toEqual([
      { address: 'boss@example.com', source: 'reply', kind: 'internal' },
      { address: 'stranger@far.away', source: 'reply_all', kind: 'outside' },
    ]);
  });

  it('does not repeat a derived recipient already named in to/cc/bcc', () => {
    const card = { params: { to: ['x@far.away'] }, derivedRecipients: [{ address: 'X@far.away', source: 'to' }] };
    expect(markRecipients(card, ACCOUNT)).toHaveLength(1);
  });

  it('returns nothing for cards without recipients or of an unknown shape', () => {
    expect(markRecipients({ params: { query: 'x' } }, ACCOUNT)).toEqual([]);
    expect(markRecipients({ params: null }, ACCOUNT)).toEqual([]);
    expect(markRecipients('not a card', ACCOUNT)).toEqual([]);
    expect(markRecipients({ params: { to: 'a@b.c' } }, ACCOUNT)).toEqual([]);
  });
});
