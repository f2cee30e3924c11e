// Security-mail detection: corpus precision/recall in five languages, tricky cases, and the three modes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Message } from '../shared/results.ts';
import { ContentPolicySchema, detectSecurityMail, filterMessage, maskSecrets } from '../sidecar/content/index.ts';

const CorpusEntry = z.strictObject({
  id: z.string(),
  lang: z.enum(['en', 'de', 'fr', 'es', 'pt']),
  label: z.enum(['sensitive', 'benign']),
  kind: z.string().optional(),
  subject: z.string(),
  body: z.string(),
});

const corpusPath = fileURLToPath(new URL('../fixtures/security-mail/corpus.jsonl', import.meta.url));
const corpus = readFileSync(corpusPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => CorpusEntry.parse(JSON.parse(l)));

describe('security-mail corpus', () => {
  it('has enough labelled mail in every language', () => {
    const sensitive = corpus.filter((c) => c.label === 'sensitive');
    const benign = corpus.filter((c) => c.label === 'benign');
    expect(sensitive.length).toBeGreaterThanOrEqual(150);
    expect(benign.length).toBeGreaterThanOrEqual(150);
    for (const lang of ['en', 'de', 'fr', 'es', 'pt']) {
      expect(sensitive.filter((c) => c.lang === lang).length).toBeGreaterThanOrEqual(25);
      expect(benign.filter((c) => c.lang === lang).length).toBeGreaterThanOrEqual(25);
    }
    const kinds = new Set(sensitive.map((c) => c.kind));
    for (const k of [
      'one_time_code',
      'two_factor',
      'sign_in',
      'password_reset',
      'magic_link',
      'verification',
      'passkey',
    ]) {
      expect(kinds.has(k)).toBe(true);
    }
    expect(new Set(corpus.map((c) => c.id)).size).toBe(corpus.length);
  });

  it('reaches recall >= 0.98 and a false-positive rate <= 0.02', () => {
    let tp = 0;
    let fn = 0;
    let fp = 0;
    let tn = 0;
    const misses: string[] = [];
    for (const c of corpus) {
      const got = detectSecurityMail({ subject: c.subject, body: c.body }).sensitive;
      if (c.label === 'sensitive') {
        if (got) tp++;
        else {
          fn++;
          misses.push(`missed ${c.id}`);
        }
      } else if (got) {
        fp++;
        misses.push(`false alarm ${c.id}`);
      } else tn++;
    }
    const recall = tp / (tp + fn);
    const precision = tp / (tp + fp);
    const fpr = fp / (fp + tn);
    console.log(
      `security-mail corpus: n=${corpus.length} precision=${precision.toFixed(3)} recall=${recall.toFixed(3)} false-positive rate=${fpr.toFixed(3)} (tp=${tp} fn=${fn} fp=${fp} tn=${tn})${misses.length ? ` ${misses.join(', ')}` : ''}`,
    );
    expect(recall).toBeGreaterThanOrEqual(0.98);
    expect(fpr).toBeLessThanOrEqual(0.02);
  });
});

describe('detectSecurityMail on cases outside the corpus', () => {
  it.each([
    ['bare code after a colon', 'Hi', 'Your code: 583920'],
    ['Google SMS style', 'G-739201', 'G-739201 is your verification code.'],
    ['spaced groups', 'Login', 'code: 44 21 09'],
    ['German OTP', 'Anmeldung', 'Dein Sicherheitscode lautet 551 230.'],
    [
      'French reset',
      'Mot de passe',
      'Cliquez ici pour réinitialiser votre mot de passe : https://x.example/r. Ce lien expire dans 1 heure.',
    ],
    [
      'Spanish sign-in alert',
      'Alerta',
      'Hemos detectado un nuevo inicio de sesión en tu cuenta. Si no fuiste tú, cambia tu contraseña.',
    ],
    ['Portuguese code', 'Código', 'Use o código 920 114 para entrar. Não compartilhe.'],
    ['code in the subject only', '902114 is your login code', ''],
  ])('flags %s', (_name, subject, body) => {
    expect(detectSecurityMail({ subject, body }).sensitive).toBe(true);
  });

  it.each([
    ['invoice', 'Invoice 583920', 'Invoice number 583920, amount due 1,200.00 EUR by 12/01/2026.'],
    ['order number', 'Order 583920 confirmed', 'Thanks for your order 583920. We will email you when it ships.'],
    ['phone number', 'Call', 'Reach me at +44 20 7946 0958 or 07700 900123.'],
    [
      'newsletter about passwords',
      'Why passwords fail',
      'Our newsletter explains password resets and 2FA. Read more on the blog. Unsubscribe.',
    ],
    ['meeting id and passcode', 'Standup', 'Zoom meeting ID: 812 3344 5566 Passcode: 902114'],
    ['date and price', 'Dinner', 'Table for 4 on 2026-12-12 at 19:30, set menu 45.00 EUR per person.'],
    ['promo code', 'Sale', 'Use promo code WINTER24 at checkout for 20% off.'],
  ])('does not flag %s', (_name, subject, body) => {
    expect(detectSecurityMail({ subject, body }).sensitive).toBe(false);
  });

  it('reports the code span and its kind', () => {
    const text = { subject: 'Sign in', body: 'Your code: 483920' };
    const v = detectSecurityMail(text);
    const joined = `${text.subject}\n${text.body}`;
    const code = v.matches.find((m) => m.kind === 'one_time_code');
    expect(code && joined.slice(code.start, code.end)).toBe('483920');
    expect(v.kinds).toContain('one_time_code');
  });
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
  body: 'Your verification code is 483920. Sign in at https://acme.example/login?t=abc. It expires in 10 minutes.',
  attachments: [],
  ...over,
});

describe('filterMessage modes (content.securityMail.mode)', () => {
  const policyFor = (mode: 'block' | 'redact' | 'warn') =>
    ContentPolicySchema.parse({ securityMail: { mode }, wrapUntrusted: false });

  it.each([
    ['block', true, false],
    ['redact', false, true],
    ['warn', false, false],
  ] as const)('mode %s', (mode, withheld, redacted) => {
    const out = filterMessage(msg(), policyFor(mode));
    expect(out.withheld).toBe(withheld);
    expect(out.redacted).toBe(redacted);
    expect(out.kinds).toContain('one_time_code');
    expect(out.message.id).toBe('m1');
    expect(out.message.threadId).toBe('t1');
    expect(out.message.from).toBe('Acme <no-reply@acme.example>');
    expect(out.message.date).toBe('2026-11-22T08:00:00Z');
    expect(out.message.notice).toMatch(/security message/);
    const visible = `${out.message.subject} ${out.message.body}`;
    if (mode === 'warn') {
      expect(visible).toContain('483920');
    } else {
      expect(visible).not.toContain('483920');
      expect(visible).not.toContain('https://acme.example');
    }
    if (mode === 'block') expect(out.message.body).toBe('');
  });

  it('leaves ordinary mail unchanged apart from marking', () => {
    const plain = msg({ subject: 'Lunch', body: 'Lunch at 12:30 on 2026-11-24?' });
    const out = filterMessage(plain, policyFor('block'));
    expect(out.withheld).toBe(false);
    expect(out.message).toEqual(plain);
  });

  it('maskSecrets masks codes and links but keeps words', () => {
    expect(maskSecrets('Code 12 34 56 at https://x.example/a').text).toBe('Code [code withheld] at [link withheld]');
  });
});
