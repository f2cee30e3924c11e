// Security-mail detection: the corpora (dev and frozen test), the figures the docs state, and the secret spans.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectSecurityMail, findSecrets, SECRET_LABEL } from '../sidecar/content/index.ts';
import { CORPUS_LANGUAGES, evaluate, parseCorpus, reportTable } from '../sidecar/content/security-eval.ts';

const file = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const dev = parseCorpus(readFileSync(file('../fixtures/security-mail/dev.jsonl'), 'utf8'), 'dev.jsonl');
const test = parseCorpus(readFileSync(file('../fixtures/security-mail/test.jsonl'), 'utf8'), 'test.jsonl');

describe('security-mail corpora', () => {
  it('hold at least 800 labelled mails in ten languages, in two disjoint files', () => {
    expect(dev.length + test.length).toBeGreaterThanOrEqual(800);
    const ids = [...dev, ...test].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const set of [dev, test]) {
      for (const lang of CORPUS_LANGUAGES) {
        expect(set.filter((c) => c.lang === lang && c.label === 'sensitive').length).toBeGreaterThanOrEqual(8);
        expect(set.filter((c) => c.lang === lang && c.label === 'benign').length).toBeGreaterThanOrEqual(8);
      }
    }
    // No test mail is a copy of a development mail.
    const devTexts = new Set(dev.map((c) => `${c.subject}\n${c.body}`));
    expect(test.filter((c) => devTexts.has(`${c.subject}\n${c.body}`))).toEqual([]);
  });

  it('the frozen test set covers every failure class of the labelling rules', () => {
    const cats = new Set(test.map((c) => c.category));
    for (const c of [
      'code_words',
      'code_subject',
      'code_reply',
      'code_forward',
      'code_html',
      'alnum_code',
      'temp_password',
      'backup_codes',
      'activation_id',
      'email_change',
      'double_opt_in',
      'device_link',
      'block_access',
      'locker',
      'lockbox',
      'gate',
      'wifi',
      'meeting',
      'promo',
      'password_notice',
      'dev_notice',
      'newsletter',
      'invoice_key',
    ]) {
      expect(cats.has(c), c).toBe(true);
    }
  });

  it('the development set reaches recall >= 0.98 at a false-positive rate <= 0.02', () => {
    const e = evaluate(dev);
    const { recall, fpr } = e.overall;
    console.log(
      `security-mail dev: n=${dev.length} recall=${recall?.toFixed(3)} fpr=${fpr?.toFixed(3)} missed=[${e.missed.join(', ')}] false alarms=[${e.falseAlarms.join(', ')}]`,
    );
    expect(recall).toBeGreaterThanOrEqual(0.98);
    expect(fpr).toBeLessThanOrEqual(0.02);
  });

  it('docs/content-controls.md states the figures the evaluator computes (dev and test set)', () => {
    const doc = readFileSync(file('../docs/content-controls.md'), 'utf8');
    const m = /<!-- security-mail-figures:start -->\n([\s\S]*?)\n<!-- security-mail-figures:end -->/u.exec(doc);
    expect(m, 'the figures block in docs/content-controls.md').not.toBeNull();
    // Only totals of the test set are read here; its single misses are never printed.
    expect(m?.[1]).toBe(reportTable(evaluate(dev), evaluate(test)));
  });
});

const secretsOf = (subject: string, body: string) => {
  const v = detectSecurityMail({ subject, body });
  const text = `${subject}\n${v.bodyText}`;
  return v.matches.map((x) => [x.kind, text.slice(x.start, x.end)]);
};

describe('the secret itself', () => {
  it.each([
    [
      'a code written in words',
      'Your code',
      'Your code is: four one nine, two two eight.',
      'one_time_code',
      'four one nine, two two eight',
    ],
    [
      'a British authorisation code',
      'Payee',
      'Enter authorisation code 55120934 to add the payee.',
      'one_time_code',
      '55120934',
    ],
    ['letters and digits after a bare "code"', 'Reset', 'Reset code: 7QXK92', 'one_time_code', '7QXK92'],
    ['full-width digits (NFKC)', '認証', '認証コード：４８２１９３', 'one_time_code', '４８２１９３'],
    ['a Cyrillic look-alike in the keyword', 'Login', 'Your vеrification code is 660 281', 'one_time_code', '660 281'],
    ['a code glued to Chinese text', '验证', '您的验证码为583016，请勿泄露', 'one_time_code', '583016'],
    [
      'a temporary password',
      'Welcome',
      'Username: ana\nTemporary password: Kx7!pq2W',
      'temporary_password',
      'Kx7!pq2W',
    ],
    ['an ELSTER Aktivierungs-ID', 'ELSTER', 'Ihre Aktivierungs-ID: 7QXD-38KM-P2LW', 'activation_id', '7QXD-38KM-P2LW'],
    [
      'an email-change link',
      'Confirm',
      'Confirm your new email address: https://x.example/email/confirm?c=Qx81Lz0p',
      'confirmation_link',
      'https://x.example/email/confirm?c=Qx81Lz0p',
    ],
    [
      'a block-access link',
      'New login',
      'Not you? Block access now: https://bank.example/secure/block?ref=Z8x2Kq77',
      'access_block_link',
      'https://bank.example/secure/block?ref=Z8x2Kq77',
    ],
  ])('finds %s', (_n, subject, body, kind, secret) => {
    expect(secretsOf(subject, body)).toContainEqual([kind, secret]);
  });

  it('finds every code of a backup list', () => {
    const found = secretsOf('Backup codes', 'Your backup codes:\n1111-2222\n3333-4444\n5555-6666\n\nKeep them safe.');
    expect(found).toEqual([
      ['backup_code', '1111-2222'],
      ['backup_code', '3333-4444'],
      ['backup_code', '5555-6666'],
    ]);
  });

  it.each([
    ['a parcel-locker code', 'Parcel', 'Your parcel is in locker 7. Collection code: 482915.'],
    ['a lockbox code', 'Keys', 'The lockbox code is 7194; keys inside.'],
    ['a gate code with #', 'Gate', 'New code for the gate: 2580#'],
    ['a Wi-Fi password', 'Wi-Fi', 'Network: Guest\nUsername: guest\nPassword: Sail2026!'],
    ['a meeting passcode', 'Standup', 'Zoom meeting ID: 812 3344 5566 Passcode: 902114'],
    ['a promo code', 'Noël', 'Profitez de -20 % avec le code NOEL20.'],
    ['a password-changed notice', 'Password changed', 'Your password was changed today. If this was you, do nothing.'],
    ['an NF-e access key', 'NF-e', 'Chave de acesso: 3526 0312 3456 7800 0199 5500 1000 0123 4510 0012 3456'],
    [
      'a newsletter quoting an example',
      'Tips',
      'Scammers send texts like "Your verification code is 318274". Unsubscribe.',
    ],
    ['a developer notice', '[repo] OTP login', 'v2 adds OTP login (OTP_LENGTH=6). Error code 4012 fixed.'],
    ['a reference number in a short subject', 'Devis 2026-331', 'Voici le devis.'],
  ])('leaves %s alone', (_n, subject, body) => {
    expect(detectSecurityMail({ subject, body }).sensitive).toBe(false);
  });

  it('decides the subject from the subject alone, and the same way inside the mail', () => {
    for (const s of ['518 274 is your Fernway code', 'Acme: 483920', 'Code de connexion : 338210', '校验码 441920']) {
      const alone = findSecrets(s, { subject: true });
      expect(alone.length, s).toBe(1);
      expect(detectSecurityMail({ subject: s, body: 'Thanks for using our app.' }).subject).toEqual(alone);
    }
  });

  it('names every kind in a marker', () => {
    for (const label of Object.values(SECRET_LABEL)) expect(label).toMatch(/^[a-zA-Z -]+$/u);
  });
});
