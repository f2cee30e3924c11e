// The outbound guard: strict addresses, allowlists, reply-only, recipient count and the exfiltration guard.
import { ACTIONS, type ActionName } from '../../shared/index.ts';
import { extractAddresses, parseAddress } from './address.ts';
import type { CalendarPolicy, OutboundPolicy } from './policy-schema.ts';
import { judgeRecipient, type OriginalMessage, type Recipients } from './recipients.ts';
import { detectSecurityMail } from './security-mail.ts';
import { longestKnownExcerpt, shingles } from './session-taint.ts';

export type OutboundVerdict =
  | { effect: 'allow' }
  | { effect: 'approve'; rules: string[]; message: string }
  | { effect: 'deny'; rules: string[]; message: string };

export interface OutboundSession {
  readExternal: boolean;
  readCodes: readonly string[];
  /** Hashes from noteRead (8-word shingles). */
  readShingles?: Iterable<string>;
  /** Raw excerpts, if a caller keeps text instead of hashes; they are shingled here. */
  readExcerpts?: readonly string[];
}

export interface OutboundInput {
  action: ActionName;
  params: Record<string, unknown>;
  /** From deriveRecipients (or a plain list, treated as complete). */
  recipients: Recipients | readonly string[];
  original?: OriginalMessage;
  /** Everyone already in the thread (From/To/Cc of its messages); defaults to the original's headers. */
  threadParticipants?: readonly string[];
  policy: OutboundPolicy;
  session?: OutboundSession;
}

function str(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  return typeof v === 'string' ? v : '';
}

/** Everything the recipients will read. A forward carries the original message along. */
function outboundText(input: OutboundInput): string {
  const p = input.params;
  const parts = [str(p, 'subject'), str(p, 'body'), str(p, 'summary'), str(p, 'description'), str(p, 'location')];
  // A forward carries the original along; a draft being sent is its own content.
  if ((input.action === 'gmail.forward' || input.action === 'gmail.drafts.send') && input.original !== undefined) {
    parts.push(input.original.subject, input.original.body);
  }
  return parts.filter((x) => x !== '').join('\n');
}

function participants(input: OutboundInput): Set<string> {
  // SECURITY: a draft's own headers say nothing about the thread (the agent wrote them), so a draft being
  // sent only counts people the caller found in its thread.
  const fromOriginal =
    input.original === undefined || input.action === 'gmail.drafts.send'
      ? []
      : [input.original.from, ...input.original.to, ...input.original.cc, ...(input.original.replyTo ?? [])];
  const raw = input.threadParticipants ?? fromOriginal;
  return new Set(raw.flatMap(extractAddresses).map((a) => a.toLowerCase()));
}

function recipientList(r: Recipients | readonly string[]): { list: readonly string[]; complete: boolean } {
  return 'recipients' in r ? { list: r.recipients, complete: r.complete } : { list: r, complete: true };
}

/** True when `code` appears in `text` as a whole token, whatever spaces or dashes split it ("77 31-02"). */
function containsCode(text: string, code: string): boolean {
  const chars = [...code].map((ch) => ch.replace(/[^A-Za-z0-9]/g, ''));
  if (chars.some((ch) => ch === '') || chars.length === 0) return false;
  const pattern = new RegExp(`(?<![A-Za-z0-9])${chars.join('[\\s-]?')}(?![A-Za-z0-9])`, 'i');
  return pattern.test(text);
}

export function checkOutbound(input: OutboundInput): OutboundVerdict {
  const { action, policy } = input;
  const { reaches, delivers } = ACTIONS[action];
  if (reaches === 'none') return { effect: 'allow' };
  // SECURITY: whatever reaches people is checked; what is not a draft or an event is held to the rules of
  // mail sent now (a standing mailbox rule that forwards reaches people just as a send does).
  const isCalendar = reaches === 'attendees';
  const isDraft = reaches === 'recipients' && !delivers;
  const isMail = !isCalendar && !isDraft;

  const { list, complete } = recipientList(input.recipients);
  const deny: { rule: string; why: string }[] = [];
  const approve: { rule: string; why: string }[] = [];

  if (!complete) {
    deny.push({
      rule: 'outbound.unknown_recipients',
      why: `the recipients of ${action} depend on a message that was not supplied; fetch the original before checking`,
    });
  }
  if (isMail && list.length === 0 && complete) {
    deny.push({ rule: 'outbound.no_recipients', why: `${action} has no recipients` });
  }

  const parsed: { address: string; domain: string }[] = [];
  for (const r of list) {
    const p = parseAddress(r, { allowUnicodeDomains: policy.allowUnicodeDomains });
    if (p.ok) parsed.push({ address: p.address, domain: p.domain });
    else deny.push({ rule: 'outbound.invalid_address', why: p.reason });
  }
  const unique = [...new Map(parsed.map((p) => [p.address, p])).values()];

  if (unique.length > policy.maxRecipients) {
    deny.push({
      rule: 'outbound.max_recipients',
      why: `${unique.length} recipients exceed outbound.maxRecipients (${policy.maxRecipients})`,
    });
  }

  // An allowlist is in force once either list names anyone; it binds replies as much as new mail.
  const allowlistActive = policy.allowRecipients.length > 0 || policy.allowDomains.length > 0;
  if (allowlistActive) {
    const outside = unique.filter((p) => !judgeRecipient(p, policy).allowlisted);
    if (outside.length > 0) {
      deny.push({
        rule: 'outbound.allowlist',
        why: `not in outbound.allowRecipients or outbound.allowDomains: ${outside.map((p) => p.address).join(', ')}`,
      });
    }
  }

  if (isMail && policy.replyOnly) {
    const inThread = participants(input);
    const threaded = action === 'gmail.reply' || action === 'gmail.drafts.send' || str(input.params, 'threadId') !== '';
    const newPeople = unique.filter((p) => !inThread.has(p.address));
    if (action === 'gmail.forward' || !threaded || newPeople.length > 0) {
      const who = (action === 'gmail.forward' || !threaded ? unique : newPeople).map((p) => p.address);
      deny.push({
        rule: 'outbound.reply_only',
        why: `outbound.replyOnly allows mail only to people already in the thread; not in it: ${who.join(', ') || '(new conversation)'}`,
      });
    }
  }

  if (policy.exfiltrationGuard.enabled && (isMail || isCalendar)) {
    const session = input.session;
    const external = unique.filter((p) => !judgeRecipient(p, policy).internal);
    if (session?.readExternal && external.length > 0) {
      approve.push({
        rule: 'exfiltration.external_after_untrusted_read',
        why: `this agent read mail from outside the organisation (within the last 24 hours) and now writes to ${external.map((p) => p.address).join(', ')}`,
      });
    }
    const text = outboundText(input);
    const leaked = (session?.readCodes ?? []).filter((c) => containsCode(text, c));
    const ownCodes = detectSecurityMail({ subject: '', body: text }).matches.some((m) => m.kind === 'one_time_code');
    if (leaked.length > 0 || ownCodes) {
      approve.push({
        rule: 'exfiltration.code_in_body',
        why:
          leaked.length > 0
            ? 'the outgoing text contains a one-time code this agent read'
            : 'the outgoing text contains what looks like a one-time code',
      });
    }
    // A set from the taint store is used as is (copying 50,000 fingerprints per proposal would be the cost).
    const given = session?.readShingles;
    const excerpts = session?.readExcerpts ?? [];
    const known: ReadonlySet<string> =
      given instanceof Set && excerpts.length === 0
        ? given
        : new Set([...(given ?? []), ...excerpts.flatMap((e) => shingles(e))]);
    const minChars = policy.exfiltrationGuard.minExcerptChars;
    if (known.size > 0 && longestKnownExcerpt(text, known) >= minChars) {
      approve.push({
        rule: 'exfiltration.verbatim_excerpt',
        why: `the outgoing text quotes mail this agent read, verbatim (${minChars}+ characters)`,
      });
    }
  }

  if (deny.length > 0) {
    const all = [...deny, ...approve];
    return { effect: 'deny', rules: [...new Set(all.map((d) => d.rule))], message: deny.map((d) => d.why).join('; ') };
  }
  if (approve.length > 0) {
    return {
      effect: 'approve',
      rules: [...new Set(approve.map((d) => d.rule))],
      message: approve.map((d) => d.why).join('; '),
    };
  }
  return { effect: 'allow' };
}

export type CalendarWriteVerdict = OutboundVerdict & { sendUpdates?: CalendarPolicy['writes']['sendUpdates'] };

/**
 * Calendar writes: off unless enabled, only on allowlisted calendars; attendees go through checkOutbound
 * (same allowlists and exfiltration guard). `sendUpdates` is what the argv must carry: nobody is invited
 * by mail unless the policy says so.
 */
export function checkCalendarWrite(
  input: Omit<OutboundInput, 'policy'> & { outbound: OutboundPolicy; calendar: CalendarPolicy },
): CalendarWriteVerdict {
  const { action, params, calendar } = input;
  if (!action.startsWith('calendar.') || action === 'calendar.events' || action === 'calendar.event')
    return { effect: 'allow' };
  if (!calendar.writes.enabled) {
    return {
      effect: 'deny',
      rules: ['calendar.writes_disabled'],
      message: 'calendar writes are off (calendar.writes.enabled is false)',
    };
  }
  const calendarId = str(params, 'calendarId');
  if (!calendar.calendars.includes(calendarId)) {
    return {
      effect: 'deny',
      rules: ['calendar.not_allowlisted'],
      message: `calendar "${calendarId}" is not in calendar.calendars (${calendar.calendars.join(', ')})`,
    };
  }
  const verdict = checkOutbound({ ...input, policy: input.outbound });
  return verdict.effect === 'deny' ? verdict : { ...verdict, sendUpdates: calendar.writes.sendUpdates };
}
