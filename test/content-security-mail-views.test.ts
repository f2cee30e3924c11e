// One decision in every view: search rows, get and thread get agree on security mail; redact keeps the rest.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Message } from '../shared/results.ts';
import {
  CalendarPolicySchema,
  ContentPolicySchema,
  detectSecurityMail,
  filterMessage,
  filterResult,
  stripQuotedHistory,
} from '../sidecar/content/index.ts';
import { parseCorpus } from '../sidecar/content/security-eval.ts';

const NOW = new Date('2026-11-22T09:00:00Z');
type Mode = 'block' | 'redact' | 'warn';
const policy = (mode: Mode, extra: Record<string, unknown> = {}) => ({
  content: ContentPolicySchema.parse({ securityMail: { mode }, wrapUntrusted: false, ...extra }),
  calendar: CalendarPolicySchema.parse({}),
  internalDomains: ['corp.example'],
});

const msg = (over: Partial<Message> = {}): Message => ({
  id: 'm1',
  threadId: 't1',
  from: 'Acme <no-reply@acme.example>',
  to: ['owner@corp.example'],
  cc: [],
  bcc: [],
  date: '2026-11-22T08:00:00Z',
  subject: 'Your verification code',
  labels: ['INBOX'],
  body: 'Your verification code is 483920. Sign in at https://acme.example/login?t=abc123XY9. It expires in 10 minutes.',
  attachments: [{ attachmentId: 'a1', filename: 'letter.pdf', mimeType: 'application/pdf', size: 1000 }],
  ...over,
});

/** The same message through search (subject only), get and thread get. */
function views(m: Message, mode: Mode) {
  const p = policy(mode);
  const search = filterResult(
    'gmail.search',
    {
      threads: [
        {
          threadId: m.threadId,
          date: '2026-11-22 08:00',
          from: m.from,
          subject: m.subject,
          labels: [],
          messageCount: 1,
        },
      ],
      nextPageToken: null,
    },
    p,
    NOW,
  ).result as { threads: { subject: string }[] };
  const get = filterResult('gmail.get', { message: m }, p, NOW).result as { message: Message };
  const thread = filterResult('gmail.thread.get', { thread: { id: m.threadId, messages: [m] } }, p, NOW).result as {
    thread: { messages: Message[] };
  };
  return { search: search.threads[0]?.subject, get: get.message, thread: thread.thread.messages[0] };
}

describe('redact mode (the default)', () => {
  it('replaces each secret by a marker naming it and keeps the rest readable', () => {
    const out = filterMessage(msg(), ContentPolicySchema.parse({ wrapUntrusted: false }));
    expect(out.redacted).toBe(true);
    expect(out.message.body).toBe(
      'Your verification code is [withheld: one-time code]. Sign in at [withheld: sign-in link]. It expires in 10 minutes.',
    );
    expect(out.message.subject).toBe('Your verification code');
    expect(out.message.attachments).toEqual([]);
    expect(out.message.notice).toMatch(/one-time code/u);
  });

  it('renders an HTML body as text before redacting it', () => {
    const body =
      '<html><body><table><tr><td><p>Enter this code to verify your email</p></td></tr><tr><td><b>2 9 4 8 1 7</b></td></tr></table></body></html>';
    const out = filterMessage(msg({ body }), ContentPolicySchema.parse({ wrapUntrusted: false }));
    expect(out.message.body).toBe('Enter this code to verify your email\n\n[withheld: one-time code]');
  });

  it('redacts a code pasted into a reply, in the reply and in the quoted history', () => {
    const body =
      'Here is what it texted me: 664 201\n\nOn Tue, 3 Mar 2026 at 10:02, Dan <dan@x.example> wrote:\n> can you send me the verification code? it was 664 201 last time';
    const out = filterMessage(msg({ subject: 'Re: login', body }), policy('redact', { threadMode: 'full' }).content);
    expect(out.message.body).not.toContain('664 201');
    expect(out.message.body).toContain('[withheld: one-time code]');
  });

  it('leaves ordinary mail untouched', () => {
    const plain = msg({ subject: 'Lunch', body: 'Lunch at 12:30 on 2026-11-24? Table 4.' });
    expect(filterMessage(plain, ContentPolicySchema.parse({ wrapUntrusted: false })).message).toEqual(plain);
  });
});

describe('block and warn', () => {
  it('block withholds body and attachments; the subject follows the search rule', () => {
    const out = filterMessage(msg(), policy('block').content);
    expect(out.withheld).toBe(true);
    expect(out.message.body).toBe('');
    expect(out.message.attachments).toEqual([]);
    expect(out.message.subject).toBe('Your verification code');
    const inSubject = filterMessage(
      msg({ subject: '483920 is your Acme code', body: 'Thanks.' }),
      policy('block').content,
    );
    expect(inSubject.message.subject).toBe('[withheld: security message]');
  });

  it('warn passes the mail with a notice', () => {
    const out = filterMessage(msg(), policy('warn').content);
    expect(out.message.body).toContain('483920');
    expect(out.message.notice).toMatch(/security message/u);
  });
});

describe('every view agrees (search rows, get, thread get, attachment listings)', () => {
  it('a code only in the subject is withheld in the search row as in get', () => {
    const m = msg({ subject: 'Your login code: 771204', body: 'Have a nice day.' });
    for (const mode of ['block', 'redact'] as const) {
      const v = views(m, mode);
      expect(v.search).toBe(v.get.subject);
      expect(v.thread?.subject).toBe(v.get.subject);
      expect(`${v.search} ${v.get.subject} ${v.get.body}`).not.toContain('771204');
    }
  });

  it('over both corpora and all modes, the views show the same subject and attachments, and no secret', () => {
    const corpus = ['dev.jsonl', 'test.jsonl'].flatMap((n) =>
      parseCorpus(readFileSync(fileURLToPath(new URL(`../fixtures/security-mail/${n}`, import.meta.url)), 'utf8'), n),
    );
    let checked = 0;
    for (const c of corpus) {
      const m = msg({ id: c.id, threadId: `t-${c.id}`, subject: c.subject, body: c.body });
      const v = detectSecurityMail(m);
      const secrets = v.matches.map((x) => `${c.subject}\n${v.bodyText}`.slice(x.start, x.end));
      for (const mode of ['block', 'redact', 'warn'] as const) {
        const { search, get, thread } = views(m, mode);
        expect(search, `${c.id} ${mode}`).toBe(get.subject);
        expect(thread, `${c.id} ${mode}`).toEqual(get);
        if (mode !== 'warn') {
          const shown = `${search}\n${get.subject}\n${get.body}`;
          for (const s of secrets) expect(shown.includes(s), `${c.id} ${mode} shows ${s}`).toBe(false);
          if (v.sensitive) expect(get.attachments).toEqual([]);
        }
        checked++;
      }
    }
    expect(checked).toBe(corpus.length * 3);
  });
});

describe('latest_only keeps forwards', () => {
  it('keeps a Gmail-style forward block (From/Date/Subject/To)', () => {
    const body =
      'FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Lumen Bank <alerts@lumen.example>\nDate: Mon, 2 Mar 2026 at 18:44\nSubject: Statement ready\nTo: <kate@home.example>\n\nYour statement for February is ready.';
    expect(stripQuotedHistory(body)).toEqual({ text: body, stripped: false });
  });

  it('still cuts a reply header below a forward', () => {
    const body =
      'See below.\n\n---------- Forwarded message ---------\nFrom: A <a@x.example>\nDate: Mon, 2 Mar 2026\nSubject: Plan\nTo: <b@x.example>\n\nThe plan.\n\nOn Mon, 2 Mar 2026 at 10:00, C <c@x.example> wrote:\n> older';
    expect(stripQuotedHistory(body).text).toBe(body.slice(0, body.indexOf('\n\nOn Mon')));
  });

  it.each([
    ['Italian', 'Ok.\n\nIl giorno lun 2 mar 2026 alle ore 19:40 Luca <l@x.example> ha scritto:\n> vecchio'],
    ['Dutch', 'Ok.\n\nOp ma 2 mrt 2026 om 20:30 schreef Tim <t@x.example>:\n> oud'],
    ['Polish', 'Ok.\n\nW dniu pon., 2 mar 2026 o 20:10 Piotr <p@x.example> napisał(a):\n> stare'],
    ['Chinese', 'Ok.\n\n在 2026年3月2日 20:05，王磊 <w@x.example> 写道：\n> 旧'],
  ])('cuts a %s reply header', (_l, body) => {
    expect(stripQuotedHistory(body)).toEqual({ text: 'Ok.', stripped: true });
  });
});
