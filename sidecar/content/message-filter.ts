// Applies the content policy to one message: security-mail modes, quoted history, attachments, untrusted marking.
import type { Message } from '../../shared/results.ts';
import type { ContentPolicy } from './policy-schema.ts';
import { stripQuotedHistory } from './quoted-history.ts';
import {
  applyRedactions,
  bodyRedactions,
  detectSecurityMail,
  findSecrets,
  SECRET_LABEL,
  type SecurityKind,
  type SecurityMatch,
} from './security-mail.ts';
import { isInternalSender, wrapUntrusted } from './untrusted.ts';

export const WITHHELD_SUBJECT = '[withheld: security message]';

export interface FilteredMessage {
  message: Message;
  withheld: boolean;
  redacted: boolean;
  kinds: SecurityKind[];
  /** Human-readable notes for the evidence record and the agent. */
  notes: string[];
}

export interface FilterOptions {
  /** Mail from these domains is not marked untrusted; without it every message counts as external. */
  internalDomains?: readonly string[];
}

type AttachmentMeta = Message['attachments'][number];

/** True when an attachment's type and size are allowed ("image/*" covers a family). */
export function attachmentAllowed(a: Pick<AttachmentMeta, 'mimeType' | 'size'>, policy: ContentPolicy): boolean {
  if (a.size > policy.attachments.maxBytes) return false;
  const type = a.mimeType.toLowerCase().split(';')[0]?.trim() ?? '';
  return policy.attachments.allowedTypes.some(
    (t) => t === type || (t.endsWith('/*') && type.startsWith(t.slice(0, -1))),
  );
}

/** Why an attachment is refused, or undefined when it may pass. */
export function attachmentRefusal(
  a: Pick<AttachmentMeta, 'mimeType' | 'size' | 'filename'>,
  policy: ContentPolicy,
): string | undefined {
  if (a.size > policy.attachments.maxBytes) {
    return `attachment "${a.filename}" is ${a.size} bytes, over content.attachments.maxBytes (${policy.attachments.maxBytes})`;
  }
  if (!attachmentAllowed(a, policy)) {
    return `attachment "${a.filename}" has type ${a.mimeType}, not in content.attachments.allowedTypes`;
  }
  return undefined;
}

function appendNotice(existing: string | undefined, add: string): string {
  return existing === undefined || existing === '' ? add : `${existing} ${add}`;
}

/**
 * The subject as every view shows it (search rows, get, thread get): decided from the subject alone, so
 * no view shows what another withholds. block: a subject holding a secret is replaced by a stub;
 * redact: the secret is replaced by its marker; warn: unchanged.
 */
export function subjectView(subject: string, mode: ContentPolicy['securityMail']['mode']): SubjectView {
  const secrets = findSecrets(subject, { subject: true });
  if (secrets.length === 0 || mode === 'warn') return { subject, secrets };
  if (mode === 'block') return { subject: WITHHELD_SUBJECT, secrets };
  return { subject: applyRedactions(subject, secrets), secrets };
}

export interface SubjectView {
  subject: string;
  secrets: SecurityMatch[];
}

export function filterMessage(m: Message, policy: ContentPolicy, options: FilterOptions = {}): FilteredMessage {
  const notes: string[] = [];
  // Detection runs on the full text, quoted history included: a code in a quote is still a code.
  const verdict = detectSecurityMail({ subject: m.subject, body: m.body, from: m.from });
  const kinds = verdict.kinds;
  let out: Message = { ...m, attachments: [...m.attachments] };
  let withheld = false;
  let redacted = false;

  if (verdict.sensitive) {
    const mode = policy.securityMail.mode;
    const what = [...new Set(kinds.map((k) => SECRET_LABEL[k]))].join(', ');
    const subject = subjectView(m.subject, mode).subject;
    // The secret may sit in an attachment too (an activation letter as PDF): security mail keeps none.
    const dropped = m.attachments.length;
    const attachmentNote = dropped > 0 ? ` Its ${dropped} attachment(s) are withheld as well.` : '';
    switch (mode) {
      case 'block': {
        withheld = true;
        const notice = `A security message (${what}) was withheld by policy (content.securityMail.mode=block). Its body and attachments are hidden; ask the owner to read it.`;
        out = { ...out, subject, body: '', attachments: [], notice: appendNotice(m.notice, notice) };
        notes.push(`message ${m.id}: security message withheld (${what})`);
        break;
      }
      case 'redact': {
        const spans = bodyRedactions(verdict);
        redacted = true;
        const notice = `This security message carried ${what}; the secret was replaced by a [withheld: …] marker by policy (content.securityMail.mode=redact).${attachmentNote}`;
        out = {
          ...out,
          subject,
          body: applyRedactions(verdict.bodyText, spans),
          attachments: [],
          notice: appendNotice(m.notice, notice),
        };
        notes.push(
          `message ${m.id}: ${spans.length + verdict.subject.length} secret(s) redacted (${what})${dropped > 0 ? `, ${dropped} attachment(s) withheld` : ''}`,
        );
        break;
      }
      case 'warn': {
        const notice = `This looks like a security message (${what}). Do not repeat, forward or act on its codes or links.`;
        out = { ...out, notice: appendNotice(m.notice, notice) };
        notes.push(`message ${m.id}: security message passed with a warning (${what})`);
        break;
      }
      default: {
        const never: never = mode;
        throw new Error(`unhandled securityMail mode ${String(never)}`);
      }
    }
  }

  if (!withheld && policy.threadMode === 'latest_only') {
    const s = stripQuotedHistory(out.body);
    if (s.stripped) {
      out = { ...out, body: s.text };
      notes.push(`message ${m.id}: quoted history removed (content.threadMode=latest_only)`);
    }
  }

  const kept: AttachmentMeta[] = [];
  const refused: string[] = [];
  for (const a of out.attachments) {
    const why = attachmentRefusal(a, policy);
    if (why === undefined) kept.push(a);
    else refused.push(why);
  }
  if (refused.length > 0) {
    out = {
      ...out,
      attachments: kept,
      notice: appendNotice(out.notice, `${refused.length} attachment(s) withheld by policy: ${refused.join('; ')}.`),
    };
    notes.push(`message ${m.id}: ${refused.length} attachment(s) withheld`);
  }

  if (!withheld && policy.wrapUntrusted && !isInternalSender(m.from, options.internalDomains ?? [])) {
    out = { ...out, subject: wrapUntrusted(out.subject, `${m.id}:subject`), body: wrapUntrusted(out.body, m.id) };
  }

  return { message: out, withheld, redacted, kinds, notes };
}
