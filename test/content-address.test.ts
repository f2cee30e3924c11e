// Strict address parsing and recipient derivation (table tests and fast-check properties).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActionName } from '../shared/actions.ts';
import { deriveRecipients, parseAddress } from '../sidecar/content/index.ts';
import { OWNER, original } from './support/messages.ts';

describe('parseAddress', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['Alice.Smith+tag@Example.COM', 'alice.smith+tag@example.com'],
    ["o'brien@sub.example.co.uk", "o'brien@sub.example.co.uk"],
  ])('accepts %s as %s', (raw, canonical) => {
    const p = parseAddress(raw);
    expect(p).toMatchObject({ ok: true, address: canonical });
  });

  it.each([
    ['Alice <alice@example.com>', /angle brackets|whitespace/],
    ['alice@example.com\r\nBcc: evil@attacker.example', /line break/],
    ['"alice@corp"@evil.example', /quoted|more than one/],
    ['alice@corp.example@evil.example', /more than one "@"/],
    ['alice(comment)@example.com', /comment/],
    ['alice@[192.0.2.1]', /IP-literal/],
    ['alice@192.0.2.1', /top-level/],
    ['alice@example.com.', /ends with a dot/],
    ['alice@exаmple.com', /non-ASCII/], // Cyrillic "а"
    ['alice@xn--exmple-cua.com', /punycode/],
    ['alice@localhost', /at least one dot/],
    ['.alice@example.com', /dot/],
    ['alice@example.com,bob@example.com', /separator/],
    ['alice%evil.example@corp.example', /relay routing/],
    ['=?utf-8?q?boss?=@corp.example', /encoded word/],
    ['', /empty/],
  ])('refuses %j and says why', (raw, why) => {
    const p = parseAddress(raw);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.reason).toMatch(why);
      if (raw !== '') expect(p.reason).toContain(JSON.stringify(raw).slice(1, 10));
    }
  });

  it('accepts an internationalised domain only when allowlisted, in its ASCII form', () => {
    expect(parseAddress('anna@bücher.example').ok).toBe(false);
    const p = parseAddress('anna@bücher.example', { allowUnicodeDomains: ['bücher.example'] });
    expect(p).toEqual({ ok: true, address: 'anna@xn--bcher-kva.example', domain: 'xn--bcher-kva.example' });
    expect(parseAddress('anna@xn--bcher-kva.example', { allowUnicodeDomains: ['bücher.example'] }).ok).toBe(true);
  });

  it('never accepts CR, LF, spaces or several "@" (property)', () => {
    const bad = fc.oneof(fc.constant('\r'), fc.constant('\n'), fc.constant(' '), fc.constant('@'), fc.constant('\t'));
    fc.assert(
      fc.property(fc.string(), bad, fc.string(), (a, b, c) => {
        const raw = `${a.slice(0, 20)}x@example.com`;
        const injected = b === '@' ? `${raw}@${c}` : `${a}${b}${c}x@example.com`;
        expect(parseAddress(injected).ok).toBe(false);
      }),
    );
  });

  it('canonical form is idempotent (property)', () => {
    const local = fc.stringMatching(/^[A-Za-z0-9_+-]{1,20}(\.[A-Za-z0-9_+-]{1,10})?$/);
    const domain = fc.stringMatching(/^[A-Za-z0-9]{1,10}(-[A-Za-z0-9]{1,5})?\.[A-Za-z]{2,6}$/);
    fc.assert(
      fc.property(local, domain, (l, d) => {
        const first = parseAddress(`${l}@${d}`);
        expect(first.ok).toBe(true);
        if (first.ok) expect(parseAddress(first.address)).toEqual(first);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const first = parseAddress(s);
        if (first.ok) expect(parseAddress(first.address)).toEqual(first);
      }),
    );
  });
});

describe('deriveRecipients', () => {
  it('reply goes to Reply-To, else From', () => {
    expect(deriveRecipients('gmail.reply', { messageId: 'm1', body: 'ok' }, original(), OWNER).recipients).toEqual([
      'bob@partner.example',
    ]);
    const withReplyTo = { ...original(), replyTo: ['Mallory <mallory@evil.example>'] };
    const d = deriveRecipients('gmail.reply', { messageId: 'm1', body: 'ok' }, withReplyTo, OWNER);
    expect(d.derived).toEqual([{ address: 'mallory@evil.example', source: 'reply' }]);
  });

  it('reply-all adds to and cc without the owner', () => {
    const d = deriveRecipients('gmail.reply', { messageId: 'm1', body: 'ok', replyAll: true }, original(), OWNER);
    expect(d.recipients.sort()).toEqual(['bob@partner.example', 'carol@corp.example', 'dave@partner.example']);
    expect(d.derived.some((x) => x.source === 'reply_all')).toBe(true);
  });

  it('reply without the original is incomplete', () => {
    expect(deriveRecipients('gmail.reply', { messageId: 'm1', body: 'ok' }, undefined, OWNER).complete).toBe(false);
  });

  it('forward uses the given recipients; calendar writes use attendees', () => {
    const f = deriveRecipients(
      'gmail.forward',
      { messageId: 'm1', to: ['x@y.example'], bcc: ['z@y.example'] },
      original(),
      OWNER,
    );
    expect(f.derived).toEqual([
      { address: 'x@y.example', source: 'forward' },
      { address: 'z@y.example', source: 'bcc' },
    ]);
    const c = deriveRecipients(
      'calendar.create',
      { calendarId: 'primary', attendees: ['a@b.example'] },
      undefined,
      OWNER,
    );
    expect(c.derived).toEqual([{ address: 'a@b.example', source: 'attendee' }]);
  });

  it('derived set always contains to + cc + bcc (property)', () => {
    const addr = fc.stringMatching(/^[a-z]{1,8}@[a-z]{1,8}\.example$/);
    const actions: ActionName[] = ['gmail.send', 'gmail.forward', 'gmail.reply', 'gmail.drafts.create'];
    fc.assert(
      fc.property(
        fc.constantFrom(...actions),
        fc.array(addr, { minLength: 1, maxLength: 5 }),
        fc.array(addr, { maxLength: 5 }),
        fc.array(addr, { maxLength: 5 }),
        fc.boolean(),
        (action, to, cc, bcc, replyAll) => {
          const params = action === 'gmail.reply' ? { cc, bcc, replyAll } : { to, cc, bcc };
          const d = deriveRecipients(action, params, original(), OWNER);
          const expected = action === 'gmail.reply' ? [...cc, ...bcc] : [...to, ...cc, ...bcc];
          for (const a of expected) expect(d.recipients).toContain(a);
        },
      ),
    );
  });
});
