// Finds tokenised action links (sign-in, reset, confirmation, device, block-access) with the WHATWG URL parser.
import { execAll } from './security-normalise.ts';

export type LinkKind = 'sign_in_link' | 'reset_link' | 'confirmation_link' | 'device_link' | 'access_block_link';

export interface LinkHit {
  start: number;
  end: number;
  kind: LinkKind;
}

/** A URL in text; the parser decides what it is. Trailing punctuation is trimmed afterwards. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'“”‘’«»()[\]{}|\\^`]+/giu;

/** Words in a URL that name what following it does. */
const URL_ACTION: ReadonlyArray<{ kind: LinkKind; re: RegExp }> = [
  {
    kind: 'access_block_link',
    re: /block|sperr|bloqu|blocca|blokk|zablokuj|freeze|lock|suspend|cancel-?access/iu,
  },
  {
    kind: 'device_link',
    re: /pair|koppel|vincul|associ|trust|confian|confiar|vertrau|zaufane|fidat|device|geraet|gerat|appareil|dispositivo|urzadzenie|apparaat/iu,
  },
  {
    kind: 'reset_link',
    re: /reset|passwor|kennwort|\/pw\b|mdp|reinit|senha|contrase|clave|wachtwoord|haslo|redefin|restablec|reimposta|recover|recuper|forgot/iu,
  },
  {
    kind: 'sign_in_link',
    re: /log-?in|sign-?in|signin|auth(?!or)|magic|\bsso\b|\botp\b|entrar|acceso|acesso|accesso|inloggen|logowanie|anmeld|connexion|session|one-?time/iu,
  },
  {
    kind: 'confirmation_link',
    re: /verif|confirm|bestaetig|bestatig|bevestig|potwierdz|conferma|valid|(?:^|[/_-])mail(?:[/_-]|$)|aender|wijzig|activ(?!it)|aktiv(?!it)|ativ|attiva|opt-?in|\bdoi\b|subscri|email|e-mail|identi/iu,
  },
];

/** Text before a link asking the reader to do a security action through it. */
const CONTEXT_ACTION: ReadonlyArray<{ kind: LinkKind; re: RegExp }> = [
  {
    kind: 'access_block_link',
    re: /\bblock|\block\b|freeze|sperr|bloqu|blocca|blokkeer|blokkeren|zablokuj|停止|ロック|冻结|锁定|凍結/iu,
  },
  {
    kind: 'device_link',
    re: /\bpair|trusted\s+device|trust\s+this|koppel|vertrauensw|appareil\s+de\s+confiance|vincul|associ|dispositivo\s+(?:de\s+)?confi|confiável|zaufan|fidato|デバイス|端末の登録|受信任|绑定设备|新设备/iu,
  },
  {
    kind: 'reset_link',
    re: /reset|new\s+password|choose\s+a\s+(?:new\s+)?password|passwort|kennwort|mot\s+de\s+passe|réinitialis|contraseña|restablec|senha|redefin|password|reimpost|wachtwoord|hasł|zresetowa|パスワード|再設定|密码|密碼|重置/iu,
  },
  {
    kind: 'sign_in_link',
    re: /sign[- ]?in|log[- ]?in|anmeld|einlogg|connecter|connexion|iniciar\s+sesi|inicio\s+de\s+sesi|acced|entrar|acess|accedi|accesso|inlog|log\s+in|zaloguj|logowani|ログイン|登录|登入/iu,
  },
  {
    kind: 'confirmation_link',
    re: /e-?mail[- ]?(?:address|adresse)|adresse\s+e-?mail|correo\s+electr|endereço\s+de\s+e-?mail|indirizzo\s+e-?mail|e-?mailadres|adres\w*\s+e-?mail|メールアドレス|邮箱|confirm|v[ée]rif|activat|bestätig|aktivier|valid|activ|ativ|conferm|attiv|bevestig|activeer|potwierdź|potwierdz|zweryfikuj|aktywuj|approve|genehmig|approuv|aprob|aprov|approv|goedkeur|zatwierdź|(?<!un)subscri|newsletter|inscri|anmeldung|suscripci|iscrizione|aanmelding|inschrijving|subskrypcj|確認|認証|登録|承認|确认|验证|激活|订阅|変更/iu,
  },
];

/** Path segments of pages anyone may open: no action, no secret. */
const GENERIC_SEGMENT =
  /^(?:|activity|notifications?|settings|security|help|support|faq|privacy|terms|account|myaccount|home|index\.html?|blog|news|contact|contact-?us|kontakt|contacto|contato|contatti|hilfe|aide|ayuda|ajuda|aiuto|pomoc|login|signin|sign-in|app|de|en|fr|es|pt|it|nl|pl|ja|zh)$/iu;

/** Places that are never an account action: meetings, unsubscribe and preference pages. */
const NEVER =
  /zoom\.us|teams\.microsoft|meet\.google|webex|unsubscribe|optout|opt-out|preferences|abmelden|desinscri|desabonn|baja|descadastr|afmelden|uitschrijven|wypisz/iu;

/** Query keys that carry a secret by their name. */
const TOKEN_KEY =
  /^(?:token|t|k|key|code|c|codigo|codice|jeton|sig|signature|hash|otp|nonce|ticket|confirm|confirmation|reset|auth|session|s|id|req|request|d|ref|uid|u|x|h|v|verify|activation|e|m|l|r)$/iu;

/** A value that looks random: letters and digits mixed, long hex, or long base64url. */
function randomLooking(v: string): boolean {
  if (v.length >= 16 && /^[\w.~%-]+$/u.test(v)) return true;
  if (/^[0-9a-f]{10,}$/iu.test(v)) return true;
  if (v.length >= 6 && /\d/u.test(v) && /[a-z]/iu.test(v) && !/^v?\d+(?:\.\d+)+$/iu.test(v)) {
    const digits = v.replace(/\D/gu, '').length;
    return digits >= 2 && v.length - digits >= 2;
  }
  return false;
}

/** True when the link carries something only its recipient should hold. */
function hasToken(u: URL): boolean {
  for (const [k, v] of u.searchParams) {
    if (/^utm_|^lang$|^locale$|^hl$/iu.test(k)) continue;
    if (TOKEN_KEY.test(k) && v.length >= 1) return true;
    if (randomLooking(v)) return true;
  }
  for (const seg of u.pathname.split('/')) if (randomLooking(seg)) return true;
  if (u.hash.length > 12 && randomLooking(u.hash.slice(1))) return true;
  return false;
}

function kindFrom(table: ReadonlyArray<{ kind: LinkKind; re: RegExp }>, s: string): LinkKind | undefined {
  return table.find((x) => x.re.test(s))?.kind;
}

interface ContextKind {
  kind: LinkKind;
  /** Found in the sentence that holds the link (or the rest of its line), not further back. */
  nearest: boolean;
}

/** Context kind from the sentences nearest the link: the last paragraph before it, plus the rest of its line. */
function contextKind(text: string, start: number, end: number): ContextKind | undefined {
  const para = text.lastIndexOf('\n\n', start);
  const from = Math.max(para, 0, start - 220);
  const lineEnd = text.indexOf('\n', end);
  const after = text.slice(end, lineEnd < 0 ? Math.min(text.length, end + 80) : Math.min(lineEnd, end + 80));
  // The words closest to the link decide: scan the nearest sentence first.
  const before = text.slice(from, start);
  const sentences = before.split(/(?<=[.!?。！？])\s+|\n/u).filter((s) => s.trim() !== '');
  const close = before.endsWith('\n\n') ? [] : sentences.slice(-2);
  const nearest = kindFrom(CONTEXT_ACTION, close.join(' '));
  if (nearest !== undefined) return { kind: nearest, nearest: true };
  const onLine = kindFrom(CONTEXT_ACTION, after);
  if (onLine !== undefined) return { kind: onLine, nearest: true };
  for (let i = sentences.length - 1; i >= Math.max(0, sentences.length - 3); i--) {
    const k = kindFrom(CONTEXT_ACTION, sentences[i] ?? '');
    if (k !== undefined) return { kind: k, nearest: false };
  }
  return undefined;
}

export interface LinkOptions {
  /** The mail reads like a newsletter: only links that name an action and carry a token count. */
  newsletter: boolean;
}

/** Tokenised action links in `text` (already folded). */
export function findActionLinks(text: string, opts: LinkOptions): LinkHit[] {
  const out: LinkHit[] = [];
  for (const m of execAll(URL_IN_TEXT, text)) {
    let raw = m[0];
    while (/[.,;:!?。、]$/u.test(raw)) raw = raw.slice(0, -1);
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      continue;
    }
    const start = m.index;
    const end = start + raw.length;
    const where = `${u.hostname}${decodeSafe(u.pathname)}?${[...u.searchParams.keys()].join('&')}`;
    if (NEVER.test(where)) continue;
    const token = hasToken(u);
    const urlKind = kindFrom(URL_ACTION, decodeSafe(u.pathname) + [...u.searchParams.keys()].join(' '));
    const ctx = contextKind(text, start, end);
    const generic = u.pathname.split('/').every((s) => GENERIC_SEGMENT.test(s));
    let secret: boolean;
    if (opts.newsletter) secret = token && urlKind !== undefined && ctx !== undefined;
    else {
      secret =
        (token && (urlKind !== undefined || ctx !== undefined)) ||
        (!generic && ctx !== undefined && (urlKind !== undefined || ctx.nearest));
    }
    if (!secret) continue;
    out.push({ start, end, kind: urlKind ?? ctx?.kind ?? 'confirmation_link' });
  }
  return out;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Every link in the text with something token-like in it (redact mode's second pass inside security mail). */
export function findTokenLinks(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (const m of execAll(URL_IN_TEXT, text)) {
    let raw = m[0];
    while (/[.,;:!?。、]$/u.test(raw)) raw = raw.slice(0, -1);
    try {
      const u = new URL(raw);
      if (!NEVER.test(u.hostname + u.pathname) && hasToken(u)) out.push({ start: m.index, end: m.index + raw.length });
    } catch {
      // not a URL after all
    }
  }
  return out;
}
