// Applies content and calendar policy to the normalised result of every read action before the agent sees it.

import type { z } from 'zod';
import type { ActionName } from '../../shared/actions.ts';
import { type CalendarEvent, type Message, ResultSchemas } from '../../shared/index.ts';
import { MailwardenError } from '../errors.ts';
import { attachmentRefusal, filterMessage, subjectView, WITHHELD_SUBJECT } from './message-filter.ts';
import type { CalendarPolicy, ContentPolicy } from './policy-schema.ts';
import { calendarBounds, lookbackCutoff } from './read-bounds.ts';
import { parseInstant } from './time-zone.ts';
import { isInternalSender, wrapUntrusted } from './untrusted.ts';

export interface ResultPolicy {
  content: ContentPolicy;
  calendar: CalendarPolicy;
  /** The owner's domains; mail from them is not marked untrusted. Usually `outbound.internalDomains`. */
  internalDomains?: readonly string[];
}

export interface FilteredResult {
  result: unknown;
  notes: string[];
}

/** Meeting links inside free text (descriptions) are hidden with hangoutLink unless showMeetingUrls. */
const MEETING_URL =
  /\bhttps?:\/\/(?:[\w-]+\.)*(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com|teams\.live\.com|webex\.com|gotomeeting\.com|whereby\.com|meet\.jit\.si)\/[^\s<>"')\]]*/giu;

function parse<S extends z.ZodType>(schema: S, action: ActionName, result: unknown): z.infer<S> {
  const parsed = schema.safeParse(result);
  if (!parsed.success) {
    throw new MailwardenError(
      'CONTENT_RESULT_INVALID',
      `the normalised result of ${action} does not match its schema (${parsed.error.issues[0]?.message ?? 'invalid'}); fix the normaliser before filtering`,
    );
  }
  return parsed.data;
}

function filterMessages(messages: Message[], policy: ResultPolicy, notes: string[]): Message[] {
  const opts = { internalDomains: policy.internalDomains ?? [] };
  return messages.map((m) => {
    const f = filterMessage(m, policy.content, opts);
    notes.push(...f.notes);
    return f.message;
  });
}

function filterEvent(e: CalendarEvent, policy: CalendarPolicy, wrap: boolean): CalendarEvent {
  const out: CalendarEvent = { ...e };
  if (!policy.showAttendees) delete out.attendees;
  if (!policy.showLocation) delete out.location;
  if (!policy.showMeetingUrls) {
    delete out.hangoutLink;
    if (out.location !== undefined) out.location = out.location.replace(MEETING_URL, '[meeting link hidden]');
  }
  if (out.description !== undefined) {
    let d = out.description;
    if (!policy.showMeetingUrls) d = d.replace(MEETING_URL, '[meeting link hidden]');
    // Invitations come from anyone: their free text is untrusted.
    out.description = wrap ? wrapUntrusted(d, `${e.id}:description`) : d;
  }
  return out;
}

/** True when the event overlaps the allowed window and its calendar is allowlisted. */
function eventVisible(e: CalendarEvent, policy: CalendarPolicy, now: Date): boolean {
  if (!policy.calendars.includes(e.calendarId)) return false;
  const { from, to } = calendarBounds(policy, now);
  const start = parseInstant(e.start, policy.timeZone);
  const end = parseInstant(e.end, policy.timeZone) ?? start;
  // SECURITY: an event whose times cannot be read cannot be shown to lie inside the window.
  if (start === undefined || end === undefined) return false;
  return start < to && end > from;
}

/**
 * Filters one action's normalised result. Read actions are filtered; every other action's result passes
 * unchanged. Throws MailwardenError('CONTENT_RESULT_INVALID') if a read result does not match its schema.
 */
export function filterResult(action: ActionName, result: unknown, policy: ResultPolicy, now: Date): FilteredResult {
  const notes: string[] = [];
  const { content, calendar } = policy;
  const internal = policy.internalDomains ?? [];
  switch (action) {
    case 'gmail.search': {
      const r = parse(ResultSchemas['gmail.search'], action, result);
      const cutoff = lookbackCutoff(content.lookbackDays, now).getTime() - 86_400_000; // a day of zone slack
      const threads = [];
      for (const t of r.threads) {
        const when = Date.parse(t.date.replace(' ', 'T'));
        if (!Number.isNaN(when) && when < cutoff) {
          notes.push(`thread ${t.threadId}: older than content.lookbackDays, dropped`);
          continue;
        }
        if (threads.length >= content.maxResults) {
          notes.push(`results beyond content.maxResults (${content.maxResults}) dropped`);
          break;
        }
        // The same decision get and thread get make about this subject (subjectView).
        const view = subjectView(t.subject, content.securityMail.mode);
        let subject = view.subject;
        if (view.secrets.length > 0) {
          notes.push(`thread ${t.threadId}: security message subject (${content.securityMail.mode})`);
        }
        if (content.wrapUntrusted && subject !== WITHHELD_SUBJECT && !isInternalSender(t.from, internal)) {
          subject = wrapUntrusted(subject, `${t.threadId}:subject`);
        }
        threads.push({ ...t, subject });
      }
      return { result: { ...r, threads }, notes };
    }
    case 'gmail.get': {
      const r = parse(ResultSchemas['gmail.get'], action, result);
      const [message] = filterMessages([r.message], policy, notes);
      return { result: { ...r, message }, notes };
    }
    case 'gmail.thread.get': {
      const r = parse(ResultSchemas['gmail.thread.get'], action, result);
      return { result: { thread: { ...r.thread, messages: filterMessages(r.thread.messages, policy, notes) } }, notes };
    }
    case 'gmail.attachment': {
      const r = parse(ResultSchemas['gmail.attachment'], action, result);
      const why = attachmentRefusal(r.attachment, content);
      if (why === undefined) return { result: r, notes };
      notes.push(why);
      const { dataBase64: _dropped, ...meta } = r.attachment;
      return { result: { attachment: meta }, notes };
    }
    case 'calendar.events': {
      const r = parse(ResultSchemas['calendar.events'], action, result);
      const events = [];
      for (const e of r.events) {
        if (!eventVisible(e, calendar, now)) {
          notes.push(`event ${e.id}: outside the allowed calendars or window, dropped`);
          continue;
        }
        if (events.length >= content.maxResults) {
          notes.push(`events beyond content.maxResults (${content.maxResults}) dropped`);
          break;
        }
        events.push(filterEvent(e, calendar, content.wrapUntrusted));
      }
      return { result: { ...r, events }, notes };
    }
    case 'calendar.event': {
      const r = parse(ResultSchemas['calendar.event'], action, result);
      if (!calendar.calendars.includes(r.event.calendarId)) {
        throw new MailwardenError(
          'CONTENT_CALENDAR_NOT_ALLOWED',
          `calendar "${r.event.calendarId}" is not in calendar.calendars; refuse calendar.event for it before executing`,
        );
      }
      return { result: { event: filterEvent(r.event, calendar, content.wrapUntrusted) }, notes };
    }
    default:
      return { result, notes };
  }
}
