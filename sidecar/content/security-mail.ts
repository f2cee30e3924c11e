// Detects security mail (one-time codes, sign-in and reset links, verification, passkeys) in five languages.
import { MEETING_CONTEXT, NEWSLETTER, STRONG_TRANSACTIONAL, WEAK_TRANSACTIONAL } from './security-cues.ts';
import {
  BENIGN_CODE_CONTEXT,
  CODE_DISQUALIFIER_AFTER,
  CODE_DISQUALIFIER_BEFORE,
  type SecurityKind,
  STRONG_CODE_KEYWORD,
} from './security-patterns.ts';
import { TOPICS } from './security-topics.ts';

export type { SecurityKind } from './security-patterns.ts';

export interface SecurityMatch {
  /** Offsets into the text that was scanned (`subject + "\n" + body`). */
  start: number;
  end: number;
  kind: SecurityKind;
}

export interface SecurityVerdict {
  sensitive: boolean;
  kinds: SecurityKind[];
  matches: SecurityMatch[];
}

/**
 * A code-like token: 4-8 digits, digit groups ("12 34 56", "483 920", "4821-7730"), Google's "G-123456",
 * or 5-8 upper-case letters and digits ("8X4K2P", "QWT-9KX"). Neighbours exclude prices, dates, phone
 * numbers and longer ids.
 */
const CODE_TOKEN =
  /(?<![\p{L}\p{N}#€$£¥+@/.,_-]|\p{N}[ -])(?:G-\d{6}|\d{2} \d{2} \d{2}|\d{3}[ -]\d{3}|\d{4}[ -]\d{4}|\d{4} \d{2}|\d{2} \d{4}|\d{4,8}|[A-Z0-9]{3,4}-[A-Z0-9]{3,4}|[A-Z0-9]{5,8})(?![\p{L}\p{N}@_%]|[.,/:-]\p{N}|[ -]\p{N})/gu;

/** Characters of subject and of body that detection looks at. */
export const MAX_SCAN = 100_000;

const URL = /\bhttps?:\/\/[^\s<>"')\]]+/giu;

/** A bare "code" word, possibly the tail of a compound ("Zugangscode", "passcode"). */
const WEAK_CODE_WORD =
  /(?<![\p{L}\p{N}])([\p{L}]*?)(code|c[óo]digo)(s?)(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])pin(?![\p{L}\p{N}])/giu;

/** Compound prefixes that make "…code" harmless (barcode, Gutscheincode, Kenncode of a meeting …). */
const HARMLESS_PREFIX =
  /^(?:en|de|uni|bar|op|short|source|zip|post|promo|gutschein|rabatt|aktions|kenn|abhol|fehler|qr|html|tür|error|status|dress|geo|pre|re|country|area)$/iu;

/** Text allowed between a "code" word and the code that follows it ("Your code: 483920", "code is 48 39 20"). */
const GAP_AFTER =
  /^[\s:=–\-"'“”«»]*(?:(?:(?:de|d['’]|do|da|del|für|for|pour|para)\s*[\p{L}\p{N}'’-]+(?:\s+[\p{L}\p{N}'’-]+){0,2}|\p{Lu}[\p{L}\p{N}'’-]*(?=\s*(?::|is\s|ist\s|est\s|es\s|é\s|lautet\s)))\s*)?[\s:=–-]*(?:(?:is|was|lautet|ist|est|es|é|are|sind|sont|son|são|below|unten|ci-dessous|abajo|abaixo|le|el|o)(?=[\s:=–-]|$)[\s:=–-]*){0,3}$/iu;

/** Text allowed between a code and the "code" word after it ("483920 is your code", "550931 é o seu código"). */
const GAP_BEFORE =
  /^[\s:=–-]*(?:(?:is|ist|est|es|é|your|ihr|dein|votre|ton|tu|su|seu|sua|o|the|a|la|el)(?=[\s:]|$)\s*){1,4}(?:[\p{L}\p{N}]+\s+)?$/iu;

/** An instruction to type a code ("Enter 552 118", "Gib diesen Code ein", "Digite o código"). */
const CODE_INSTRUCTION =
  /\b(?:enter|use|type)\s+(?:this\s+|the\s+following\s+|the\s+)?(?:code\s+)?(?=[\dA-Z])|\bgib\s+(?:diesen|den)\s+code|geben\s+sie\s+(?:diesen|den)\s+code|saisissez\s+(?:ce|le)\s+code|utilisez\s+(?:ce|le)\s+code|introduce\s+(?:este|el)\s+c[óo]digo|usa\s+(?:este|el)\s+c[óo]digo|digite\s+(?:este|o)\s+c[óo]digo|insira\s+(?:este|o)\s+c[óo]digo/iu;

/** An instruction naming the code itself ("enter this code", "introduce este código", "geben Sie diesen Code ein"). */
const EXPLICIT_CODE_INSTRUCTION =
  /\b(?:enter|type|use)\s+(?:this|the\s+following|the)\s+code|\bgib\s+(?:diesen|den)\s+code|geben\s+sie\s+(?:diesen|den)\s+code|(?:saisissez|entrez|utilisez)\s+(?:ce|le)\s+code|en\s+saisissant\s+ce\s+code|(?:introduce|ingresa|escribe|usa)\s+(?:este|el)\s+c[óo]digo|(?:digite|insira|use|informe)\s+(?:este|o)\s+c[óo]digo/iu;

/** "Never share this code" and friends: only decisive when the mail is about a code. */
const CODE_SECRECY =
  /don[’']t\s+share|do\s+not\s+share|never\s+share|share\s+(?:this|it)\s+with\s+no\s*one|nicht\s+(?:an\s+dritte\s+)?weiter|niemals\s+weiter|niemandem|à\s+personne|a\s+nadie|a\s+ningu[ée]m|no\s+(?:lo\s+)?facilites|ne\s+(?:le\s+)?(?:partagez|communiquez)|no\s+(?:lo\s+)?compartas|(?:não|nunca)\s+(?:compartilhe|partilhe)/iu;

interface Token {
  start: number;
  end: number;
  text: string;
}

function codeTokens(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(CODE_TOKEN)) {
    const t = m[0];
    // Letter-only or digit-free words in capitals ("HELLO", "SALE") are not codes.
    if (!/\d/.test(t)) continue;
    out.push({ start: m.index, end: m.index + t.length, text: t });
  }
  return out;
}

function weakKeywords(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WEAK_CODE_WORD)) {
    const prefix = (m[1] ?? '').replace(/-$/, '');
    if (prefix !== '' && prefix.toLowerCase() !== 'pass' && HARMLESS_PREFIX.test(prefix)) continue;
    const start = m.index;
    const end = start + m[0].length;
    if (CODE_DISQUALIFIER_BEFORE.test(text.slice(Math.max(0, start - 25), start))) continue;
    if (CODE_DISQUALIFIER_AFTER.test(text.slice(end, end + 30))) continue;
    out.push({ start, end, text: m[0] });
  }
  return out;
}

/** Index of the first token starting at or after `pos` (tokens are sorted by start). */
function firstAtOrAfter(tokens: Token[], pos: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tokens[mid]?.start ?? 0) < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Tokens starting in [from, to), found by binary search so long mails stay linear-ish. */
function tokensIn(tokens: Token[], from: number, to: number): Token[] {
  const out: Token[] = [];
  for (let i = firstAtOrAfter(tokens, from); i < tokens.length; i++) {
    const t = tokens[i];
    if (t === undefined || t.start >= to) break;
    out.push(t);
  }
  return out;
}

/** Codes tied to a keyword: the heart of the bare-code detection. */
function findCodes(text: string, tokens: Token[], weak: Token[]): SecurityMatch[] {
  const found = new Map<number, SecurityMatch>();
  const add = (t: Token) => found.set(t.start, { start: t.start, end: t.end, kind: 'one_time_code' });

  for (const kw of text.matchAll(STRONG_CODE_KEYWORD)) {
    const kwStart = kw.index;
    const kwEnd = kwStart + kw[0].length;
    for (const t of tokensIn(tokens, kwEnd, kwEnd + 81)) add(t);
    for (const t of tokensIn(tokens, kwStart - 60, kwStart)) if (t.end <= kwStart && kwStart - t.end <= 40) add(t);
  }

  // SECURITY: a bare "code" counts only right next to the code, and never in an order, invoice or meeting
  // context; the named keywords above are not excused by context.
  const benignContext = BENIGN_CODE_CONTEXT.test(text) || MEETING_CONTEXT.test(text);
  if (!benignContext) {
    for (const kw of weak) {
      for (const t of tokensIn(tokens, kw.end, kw.end + 61)) {
        if (GAP_AFTER.test(text.slice(kw.end, t.start))) add(t);
      }
      for (const t of tokensIn(tokens, kw.start - 60, kw.start)) {
        if (t.end <= kw.start && kw.start - t.end <= 40 && GAP_BEFORE.test(text.slice(t.end, kw.start))) add(t);
      }
    }
    for (const t of tokens) if (t.text.startsWith('G-')) add(t);
  }
  return [...found.values()];
}

function topicMatches(text: string): SecurityMatch[] {
  const out: SecurityMatch[] = [];
  for (const { kind, re } of TOPICS) {
    for (const m of text.matchAll(re)) out.push({ start: m.index, end: m.index + m[0].length, kind });
  }
  return out;
}

/**
 * Decides whether a mail is security mail. A mail is sensitive when
 *  1. a code-like token sits next to a code keyword (any language), or
 *  2. it is about a security topic (or names a code) and carries a transactional cue ("didn't request",
 *     "expires in", "was this you?", device/location lines …), or
 *  3. it is about a security topic, has a link or button, and does not read like a newsletter, or
 *  4. it tells the reader to type a code and a code is present.
 */
export function detectSecurityMail(m: { subject: string; body: string; from?: string }): SecurityVerdict {
  // Security mail is short and says what it is near the top; scanning a bounded prefix keeps a huge
  // mail from costing seconds.
  const text = `${m.subject.slice(0, MAX_SCAN)}\n${m.body.slice(0, MAX_SCAN)}`;
  const tokens = codeTokens(text);
  const weak = weakKeywords(text);
  const codes = findCodes(text, tokens, weak);
  const topics = topicMatches(text);

  const strongCodeKw = [...text.matchAll(STRONG_CODE_KEYWORD)];
  const namesCode = strongCodeKw.length > 0 || weak.length > 0;
  const strongCue = STRONG_TRANSACTIONAL.test(text) || (namesCode && CODE_SECRECY.test(text));
  const newsletter = NEWSLETTER.test(text);
  const weakCue = WEAK_TRANSACTIONAL.test(text);
  const hasTopic = topics.length > 0;

  let sensitive = codes.length > 0;
  if (!sensitive && (hasTopic || namesCode) && strongCue) sensitive = true;
  if (!sensitive && hasTopic && weakCue && !newsletter) sensitive = true;
  if (!sensitive && hasTopic && tokens.length > 0 && CODE_INSTRUCTION.test(text)) sensitive = true;
  if (!sensitive) {
    // "Enter this code …: 300 218": an explicit instruction to type a code, followed closely by digits.
    const instr = EXPLICIT_CODE_INSTRUCTION.exec(text);
    const after = instr ? text.slice(instr.index, instr.index + instr[0].length + 80) : '';
    if (instr && /\d[\d -]{2,10}\d/.test(after) && !BENIGN_CODE_CONTEXT.test(text) && !MEETING_CONTEXT.test(text)) {
      sensitive = true;
    }
  }

  if (!sensitive) return { sensitive: false, kinds: [], matches: [] };

  const matches: SecurityMatch[] = [...codes, ...topics];
  if (namesCode && codes.length === 0) {
    for (const kw of strongCodeKw) {
      matches.push({ start: kw.index, end: kw.index + kw[0].length, kind: 'one_time_code' });
    }
    for (const kw of weak) matches.push({ start: kw.start, end: kw.end, kind: 'one_time_code' });
  }
  matches.sort((a, b) => a.start - b.start || a.end - b.end);
  const kinds = [...new Set(matches.map((x) => x.kind))];
  return { sensitive: true, kinds, matches };
}

/**
 * Masks what an attacker would need from a security mail: every code-like token and every link.
 * Over-masking is deliberate; the mail is already known to be security mail.
 */
export function maskSecrets(text: string): { text: string; masked: number } {
  let masked = 0;
  const withoutLinks = text.replace(URL, () => {
    masked++;
    return '[link withheld]';
  });
  const out = withoutLinks.replace(CODE_TOKEN, (t) => {
    if (!/\d/.test(t)) return t;
    masked++;
    return '[code withheld]';
  });
  return { text: out, masked };
}

/** For a search summary (subject only): a security topic in the subject is enough. */
export function subjectLooksSensitive(subject: string): boolean {
  if (detectSecurityMail({ subject, body: '' }).sensitive) return true;
  if (NEWSLETTER.test(subject)) return false;
  return topicMatches(subject).length > 0 || [...subject.matchAll(STRONG_CODE_KEYWORD)].length > 0;
}
