// Finds the secrets of security mail (codes, credentials, action links) in ten languages, and redacts them.
import { htmlToText, looksLikeHtml } from './html-text.ts';
import {
  ACTIVATION,
  BACKUP_CODES,
  ENTER_CUE,
  EXAMPLE_CUE,
  HARMLESS_CODE_PREFIX,
  HARMLESS_CONTEXT,
  MEETING,
  MENTIONS_CODE,
  NEWSLETTER,
  PASSWORD_FIELD,
  PASTE_CUE,
  STRONG_CODE,
  TEMP_PASSWORD,
  USERNAME_FIELD,
  WEAK_CODE,
  WORD_CODE,
} from './security-lexicon.ts';
import { findActionLinks, findTokenLinks, type LinkKind } from './security-links.ts';
import { execAll, type Folded, foldForMatching, originalSpan } from './security-normalise.ts';

export type SecurityKind =
  | 'one_time_code'
  | 'backup_code'
  | 'temporary_password'
  | 'activation_id'
  | LinkKind
  /** Redact mode's second pass inside security mail: any other code-like token or tokenised link. */
  | 'code'
  | 'link';

export const SECURITY_KINDS: readonly SecurityKind[] = [
  'one_time_code',
  'backup_code',
  'temporary_password',
  'activation_id',
  'sign_in_link',
  'reset_link',
  'confirmation_link',
  'device_link',
  'access_block_link',
  'code',
  'link',
];

/** What the marker names: `[withheld: one-time code]`. */
export const SECRET_LABEL: Readonly<Record<SecurityKind, string>> = {
  one_time_code: 'one-time code',
  backup_code: 'backup code',
  temporary_password: 'credential',
  activation_id: 'activation ID',
  sign_in_link: 'sign-in link',
  reset_link: 'password-reset link',
  confirmation_link: 'confirmation link',
  device_link: 'device link',
  access_block_link: 'block-access link',
  code: 'code',
  link: 'link',
};

export const marker = (kind: SecurityKind): string => `[withheld: ${SECRET_LABEL[kind]}]`;

export interface SecurityMatch {
  /** Offsets into the text that was scanned. */
  start: number;
  end: number;
  kind: SecurityKind;
}

export interface SecurityVerdict {
  sensitive: boolean;
  kinds: SecurityKind[];
  /** Offsets into `subject + "\n" + body` (body as rendered text when it was HTML). */
  matches: SecurityMatch[];
  /** Secrets of the subject, decided from the subject alone (what a search row can see). */
  subject: SecurityMatch[];
  /** Secrets of the body, offsets into `bodyText`. */
  body: SecurityMatch[];
  /** The body as scanned: the rendered text when the mail was HTML. */
  bodyText: string;
}

/** Characters of subject and of body that detection looks at. */
export const MAX_SCAN = 100_000;

const LETTER = '[\\p{Script=Latin}\\p{Script=Greek}\\p{Script=Cyrillic}\\p{N}_]';

/**
 * A code-like token: Google's "G-123456", spaced or read-out digits ("2 9 4 8 1 7", "4, 8, 2, 9"), digit groups ("12 34 56",
 * "4821-7730"), 4-8 digits, or upper-case letters with digits ("Q7RM4K", "7QXD-38KM-P2LW"). The
 * neighbours exclude prices, decimals, phone numbers and longer ids. CJK letters may touch a code.
 */
const CODE_TOKEN = new RegExp(
  `(?<!${LETTER}|[#€$£¥+@/.,-]|\\p{N}[ -])(?:G-\\d{6}|\\d(?:(?:, ?|\\. |[ -])\\d){3,9}(?!\\d)|\\d{2,4}(?:[ -]\\d{2,4}){1,3}|\\d{4,8}|[A-Z0-9]{3,5}(?:-[A-Z0-9]{3,5}){1,3}|[A-Z0-9]{5,10})(?!${LETTER}|[@%]|[.,/:]\\p{N}|[ -]\\p{N})`,
  'gu',
);

const AMOUNT_AFTER = /^\s?(?:€|\$|eur|usd|gbp|chf|pln|zł|円|元|%|px|kb|mb|gb|°|mm|cm|km|kg)/iu;
const DATE_LIKE = /^(?:19|20)\d\d[ -](?:0?[1-9]|1[0-2])[ -](?:0?[1-9]|[12]\d|3[01])$/u;

interface Token {
  start: number;
  end: number;
  text: string;
}

function codeTokens(t: string): Token[] {
  const out: Token[] = [];
  for (const m of execAll(CODE_TOKEN, t)) {
    const s = m[0];
    const end = m.index + s.length;
    if (!/\d/u.test(s)) continue;
    const digits = s.replace(/\D/gu, '').length;
    if (/^[\d -]+$/u.test(s) && (digits < 4 || digits > 12)) continue;
    if (DATE_LIKE.test(s) || AMOUNT_AFTER.test(t.slice(end, end + 4))) continue;
    // Letters-and-digits need two digits ("SNOW25" yes, "MP3" no), one when grouped ("QWT-9KX").
    if (/[A-Z]/u.test(s) && digits < (s.includes('-') ? 1 : 2)) continue;
    // "2580#", "4481 992#": typed on a keypad (gate, door, phone conference), not on a sign-in page.
    if (t[end] === '#') continue;
    out.push({ start: m.index, end, text: s });
  }
  for (const m of execAll(WORD_CODE, t)) out.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  return out.sort((a, b) => a.start - b.start);
}

interface Hit {
  start: number;
  end: number;
}

function hits(re: RegExp, t: string): Hit[] {
  const out: Hit[] = [];
  for (const m of execAll(re, t)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

/** Bare "code" words, minus harmless compounds (Gutscheincode, postcode, kortingscode …). */
function weakHits(t: string): Hit[] {
  const out: Hit[] = [];
  for (const m of execAll(WEAK_CODE, t)) {
    const w = m[0];
    const c = /codes?$/iu.exec(w);
    if (c && c.index > 0 && HARMLESS_CODE_PREFIX.test(w.slice(0, c.index))) continue;
    out.push({ start: m.index, end: m.index + w.length });
  }
  return out;
}

/** Distance from the nearest hit ending before `pos` (within `max`), or Infinity. */
function distBefore(list: Hit[], pos: number, max: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const h of list) {
    if (h.end <= pos && pos - h.end <= max) best = Math.min(best, pos - h.end);
    if (h.start > pos) break;
  }
  return best;
}

/** Distance to the nearest hit starting after `pos` (within `max`), or Infinity. */
function distAfter(list: Hit[], pos: number, max: number): number {
  for (const h of list) if (h.start >= pos) return h.start - pos <= max ? h.start - pos : Number.POSITIVE_INFINITY;
  return Number.POSITIVE_INFINITY;
}

/** No sentence ends between a keyword and its code ("Your code: 12 34" yes, "Code review. 1234" no). */
const SENTENCE_END = /(?<=\p{L}{2}|\p{N}|[)"”»])[.!?](?:[ \t]+\p{Lu}|\s*\n\s*\n)|[。！？]/u;

const OPEN_QUOTES = /[“„«「『"]|(?:^|[\s:(])'/gu;

/** True when the token sits inside a quotation that opened earlier in its paragraph. */
function insideQuote(t: string, start: number): boolean {
  const para = Math.max(t.lastIndexOf('\n\n', start), start - 200, 0);
  const before = t.slice(para, start);
  let open = -1;
  for (const m of execAll(OPEN_QUOTES, before)) open = m.index;
  if (open < 0) return false;
  const rest = before.slice(open + 1);
  return !/[”“»」』"]/u.test(rest.replace(/^'/u, ''));
}

interface Context {
  t: string;
  strong: Hit[];
  weak: Hit[];
  harmless: Hit[];
  examples: Hit[];
  paste: Hit[];
  enter: Hit[];
  /** Where quoted history starts (a reply header or ">" lines), or -1. */
  replyStart: number;
  /** Where the body starts (after the subject line), 0 for a text on its own. */
  bodyStart: number;
  meeting: boolean;
  newsletter: boolean;
  mentionsCode: boolean;
}

/** Start of quoted history: the first reply header line or block of "> " lines, or -1. */
const QUOTE_START =
  /^[ \t]*>|^[ \t]*(?:On|Am|Le|El|Em|Il|Op|W\s+dniu)\s[^\n]{0,200}(?:wrote|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|schreef|napisał)|写道|^[ \t]*-{2,}\s*(?:Original|Ursprüngliche|Forwarded|Weitergeleitete)/mu;

function quotedStart(t: string): number {
  const m = QUOTE_START.exec(t);
  return m === null ? -1 : m.index;
}

/** Is this code-like token a one-time code? */
function isCode(c: Context, tok: Token): boolean {
  const { t } = c;
  const dH = Math.min(distBefore(c.harmless, tok.start, 100), distAfter(c.harmless, tok.end, 40));
  // Examples in articles and newsletters: "a text like 'Your code is 318274'".
  const exampleReach = c.newsletter ? 160 : 80;
  if (Number.isFinite(distBefore(c.examples, tok.start, exampleReach)) && (insideQuote(t, tok.start) || c.newsletter)) {
    return false;
  }
  if (c.newsletter && insideQuote(t, tok.start)) return false;

  // A code alone on its line is the display of a code: its keyword may sit a paragraph above.
  const alone =
    /(?:^|\n)[ \t]*$/u.test(t.slice(Math.max(0, tok.start - 40), tok.start)) &&
    /^[ \t]*(?:\n|$)/u.test(t.slice(tok.end, tok.end + 20));
  const sB = distBefore(c.strong, tok.start, alone ? 200 : 90);
  // In a meeting invitation only a keyword before the number counts ("Meeting ID: 311 … Access code: …").
  const sA = c.meeting ? Number.POSITIVE_INFINITY : distAfter(c.strong, tok.end, 40);
  const dS = Math.min(sB, sA);
  if (Number.isFinite(dS)) {
    const gap = sB <= sA ? t.slice(tok.start - sB, tok.start) : t.slice(tok.end, tok.end + sA);
    if (dS < dH && !SENTENCE_END.test(gap)) return true;
    if (dS < dH && (dS <= 40 || alone)) return true;
  }
  if (Number.isFinite(dH) || c.meeting) return false;

  const wB = distBefore(c.weak, tok.start, 60);
  if (Number.isFinite(wB) && !SENTENCE_END.test(t.slice(tok.start - wB, tok.start))) return true;
  const wA = distAfter(c.weak, tok.end, 25);
  if (Number.isFinite(wA) && !SENTENCE_END.test(t.slice(tok.end, tok.end + wA))) return true;

  // "Use 302 914 to verify your number", "Wpisz kod 6631": an instruction to type it.
  const eB = distBefore(c.enter, tok.start, 25);
  if (Number.isFinite(eB) && c.mentionsCode && !SENTENCE_END.test(t.slice(tok.start - eB, tok.start))) return true;

  // Pasted into a reply or chat: "It texted me this: 664201" in a thread about a code.
  const digitsOnly = /^[\d -]+$/u.test(tok.text);
  const pB = distBefore(c.paste, tok.start, 40);
  if (Number.isFinite(pB) && c.mentionsCode && digitsOnly) return true;
  // The first lines of a reply whose quoted mail asks about a code: "ok try 551093 / > … the code …".
  if (digitsOnly && c.mentionsCode && c.replyStart >= 0 && tok.start < c.replyStart && tok.start - c.bodyStart < 200) {
    return MENTIONS_CODE.test(t.slice(c.replyStart));
  }
  return false;
}

/** Backup codes are often lower-case letters and digits ("a1b2c-3d4e5"). */
const BACKUP_TOKEN =
  /(?<![\p{L}\p{N}_])(?=[a-z0-9-]*\d)(?:[a-z0-9]{4,6}-[a-z0-9]{4,6}|[a-z0-9]{8,12})(?![\p{L}\p{N}_])/giu;

/** Secrets in lines after a "backup codes" heading: every code-like token of the list. */
function backupCodes(t: string, codeLike: Token[], heads: Hit[]): Token[] {
  if (heads.length === 0) return [];
  const extra: Token[] = [];
  for (const m of execAll(BACKUP_TOKEN, t)) extra.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  const tokens = [
    ...codeLike,
    ...extra.filter((x) => !codeLike.some((c) => c.start <= x.start && x.start < c.end)),
  ].sort((a, b) => a.start - b.start);
  const out: Token[] = [];
  for (const h of heads) {
    let listStarted = false;
    let lineStart = t.indexOf('\n', h.end);
    // The heading's own line may carry the first codes ("Backup codes: 1234-5678 …").
    const sameLine = tokens.filter((x) => x.start >= h.end && (lineStart < 0 || x.start < lineStart));
    out.push(...sameLine);
    if (sameLine.length > 0) listStarted = true;
    for (let n = 0; lineStart >= 0 && n < 40; n++) {
      const next = t.indexOf('\n', lineStart + 1);
      const lineEnd = next < 0 ? t.length : next;
      const inLine = tokens.filter((x) => x.start > lineStart && x.end <= lineEnd);
      const line = t.slice(lineStart + 1, lineEnd).trim();
      if (inLine.length > 0) {
        out.push(...inLine);
        listStarted = true;
      } else if (line !== '' && listStarted) break;
      lineStart = next;
    }
  }
  return out;
}

/** The password right after a credential keyword ("Temporary password: Tulip-8842!"). */
const AFTER_PASSWORD_KW =
  /^[\s:=\-–]*(?:(?:is|ist|lautet|est|es|é|è|is|to|wynosi|jest|wordt|は|为|是|:)[\s:]*)?(?:[“"'«„「]\s*)?([^\s"“”'«»„「」]{4,64})/iu;

function credentialAfter(t: string, at: number): Hit | undefined {
  const m = AFTER_PASSWORD_KW.exec(t.slice(at, at + 90));
  if (!m || m[1] === undefined) return undefined;
  let value = m[1].replace(/[.,;]+$/u, '');
  // Cut where CJK text resumes ("Hx8#Lq2026请…").
  value = value.replace(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}].*$/u, '');
  if (value.length < 4) return undefined;
  // A credential has a digit, a symbol or mixed case; a plain word ("below", "unten") is not one.
  if (!/\d|[^\p{L}\p{N}]|\p{Lu}.*\p{Ll}.*\p{Lu}|\p{Ll}.*\p{Lu}/u.test(value)) return undefined;
  const start = at + (m[0].length - m[1].length);
  return { start, end: start + value.length };
}

function credentials(t: string, c: Context): Array<Hit & { kind: SecurityKind }> {
  const out: Array<Hit & { kind: SecurityKind }> = [];
  for (const h of hits(TEMP_PASSWORD, t)) {
    const v = credentialAfter(t, h.end);
    if (v) out.push({ ...v, kind: 'temporary_password' });
  }
  const users = hits(USERNAME_FIELD, t);
  if (users.length > 0 && !c.meeting) {
    for (const h of hits(PASSWORD_FIELD, t)) {
      if (Math.min(distBefore(users, h.start, 160), distAfter(users, h.end, 160)) === Number.POSITIVE_INFINITY)
        continue;
      if (Number.isFinite(Math.min(distBefore(c.harmless, h.start, 80), distAfter(c.harmless, h.end, 20)))) continue;
      const v = credentialAfter(t, h.end);
      if (v) out.push({ ...v, kind: 'temporary_password' });
    }
  }
  for (const h of hits(ACTIVATION, t)) {
    const m =
      /^[\s:=\-–]*(?:(?:is|ist|lautet|est|es|é|è|to|は|为|是)\s*:?\s*)?([A-Z0-9]{3,6}(?:-[A-Z0-9]{3,6}){1,4}|[A-Z0-9]{6,20})/u.exec(
        t.slice(h.end, h.end + 60),
      );
    if (m?.[1] && /\d/u.test(m[1])) {
      const start = h.end + m[0].length - m[1].length;
      out.push({ start, end: start + m[1].length, kind: 'activation_id' });
    }
  }
  return out;
}

/** All secrets of one folded text, in folded offsets. */
function secretsOfFolded(t: string): SecurityMatch[] {
  const tokens = codeTokens(t);
  const newsletter = NEWSLETTER.test(t);
  // Without a code-like token the code rules have nothing to judge: skip their scans.
  const codes = tokens.length > 0;
  const none: Hit[] = [];
  const c: Context = {
    t,
    strong: codes ? hits(STRONG_CODE, t) : none,
    weak: codes ? weakHits(t) : none,
    harmless: hits(HARMLESS_CONTEXT, t),
    examples: codes ? hits(EXAMPLE_CUE, t) : none,
    paste: codes ? hits(PASTE_CUE, t) : none,
    enter: codes ? hits(ENTER_CUE, t) : none,
    meeting: MEETING.test(t),
    newsletter,
    mentionsCode: codes && MENTIONS_CODE.test(t),
    replyStart: codes ? quotedStart(t) : -1,
    bodyStart: Math.max(0, t.indexOf('\n') + 1),
  };
  const found = new Map<number, SecurityMatch>();
  const add = (h: Hit, kind: SecurityKind) => {
    const prev = found.get(h.start);
    if (prev === undefined || prev.end < h.end) found.set(h.start, { start: h.start, end: h.end, kind });
  };
  for (const cr of credentials(t, c)) add(cr, cr.kind);
  for (const tok of backupCodes(t, tokens, hits(BACKUP_CODES, t))) add(tok, 'backup_code');
  if (codes) {
    for (const tok of tokens) if (!found.has(tok.start) && isCode(c, tok)) add(tok, 'one_time_code');
  }
  if (t.includes('http')) for (const l of findActionLinks(t, { newsletter })) add(l, l.kind);
  return dropOverlaps([...found.values()]);
}

function dropOverlaps(list: SecurityMatch[]): SecurityMatch[] {
  list.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecurityMatch[] = [];
  for (const m of list) {
    const last = out[out.length - 1];
    if (last && m.start < last.end) continue;
    out.push(m);
  }
  return out;
}

function toOriginal(f: Folded, original: string, list: SecurityMatch[]): SecurityMatch[] {
  return list.map((m) => {
    const [start, end] = originalSpan(f, m.start, m.end, original);
    return { start, end, kind: m.kind };
  });
}

/**
 * A subject that is only a number, or a name, a colon and a number ("483920", "Acme: 483920"): the
 * number is the code. Years and reference numbers ("Devis 2026-331", "Ticket 4471") stay.
 */
const BARE_SUBJECT = /^\s*(?:[^\n:：\]|]{1,30}[:：\]|–—-]\s*)?((?:G-)?\d(?:[\d -]*\d)?)\s*$/u;

function bareSubjectCode(t: string): SecurityMatch[] {
  const m = BARE_SUBJECT.exec(t);
  const num = m?.[1];
  if (m === null || num === undefined || hits(HARMLESS_CONTEXT, t).length > 0 || MEETING.test(t)) return [];
  const at = m.index + m[0].indexOf(num);
  const token = codeTokens(t).find((x) => x.start === at && x.text === num);
  if (token === undefined || /^(?:19|20)\d\d$/u.test(token.text)) return [];
  return [{ start: token.start, end: token.end, kind: 'one_time_code' }];
}

export interface FindOptions {
  /** The text is a subject: a bare number in a short subject counts as a code. */
  subject?: boolean;
}

/** The secrets of a text on its own (a subject, as a search row shows it). */
export function findSecrets(text: string, opts: FindOptions = {}): SecurityMatch[] {
  const original = text.slice(0, MAX_SCAN);
  const f = foldForMatching(original);
  let found = secretsOfFolded(f.text);
  if (opts.subject === true && found.length === 0) found = bareSubjectCode(f.text);
  return toOriginal(f, original, found);
}

/** The body as the agent reads it: HTML rendered to text. */
export function readableBody(body: string): string {
  return looksLikeHtml(body) ? htmlToText(body) : body;
}

/**
 * Decides about one mail. The subject's secrets are decided from the subject alone, so a search row and
 * a get agree on it; the body is read with the subject in front (a subject can name the code below).
 */
export function detectSecurityMail(m: { subject: string; body: string; from?: string }): SecurityVerdict {
  const subject = m.subject.slice(0, MAX_SCAN);
  const bodyText = readableBody(m.body).slice(0, MAX_SCAN);
  const subjectSecrets = findSecrets(subject, { subject: true });
  const joined = `${subject}\n${bodyText}`;
  const off = subject.length + 1;
  const body = findSecrets(joined)
    .filter((x) => x.start >= off)
    .map((x) => ({ start: x.start - off, end: x.end - off, kind: x.kind }));
  const matches = [...subjectSecrets, ...body.map((x) => ({ start: x.start + off, end: x.end + off, kind: x.kind }))];
  const kinds = [...new Set(matches.map((x) => x.kind))];
  return { sensitive: matches.length > 0, kinds, matches, subject: subjectSecrets, body, bodyText };
}

/** Replaces each span by its marker. */
export function applyRedactions(text: string, spans: readonly SecurityMatch[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of sorted) {
    if (s.start < at) continue;
    out += text.slice(at, s.start) + marker(s.kind);
    at = s.end;
  }
  return out + text.slice(at);
}

/**
 * The body's secrets plus, because the mail is already known to be security mail, every other
 * code-like token outside a harmless context and every tokenised link: what a miss would leak.
 */
export function bodyRedactions(v: SecurityVerdict): SecurityMatch[] {
  if (!v.sensitive) return [];
  const text = v.bodyText.slice(0, MAX_SCAN);
  const f = foldForMatching(text);
  const extra: SecurityMatch[] = [];
  const harmless = hits(HARMLESS_CONTEXT, f.text);
  for (const tok of codeTokens(f.text)) {
    if (!/^(?:G-)?[\d -]+$/u.test(tok.text) || tok.text.replace(/\D/gu, '').length < 6) continue;
    if (Number.isFinite(Math.min(distBefore(harmless, tok.start, 100), distAfter(harmless, tok.end, 40)))) continue;
    extra.push({ start: tok.start, end: tok.end, kind: 'code' });
  }
  for (const l of findTokenLinks(f.text)) extra.push({ ...l, kind: 'link' });
  return dropOverlaps([...v.body, ...toOriginal(f, text, extra)]);
}

/** Kept for callers that mask a free text: every secret found in it, replaced by its marker. */
export function maskSecrets(text: string): { text: string; masked: number } {
  const spans = findSecrets(text);
  return { text: applyRedactions(text, spans), masked: spans.length };
}
