// Turns gog's parsed JSON into the contract's result shapes (shared/results.ts), one normaliser per gog shape.
import type { z } from 'zod';
import { type ActionResult, type CalendarEvent, describeIssue, type Message } from '../../shared/index.ts';
import { htmlToText } from '../content/index.ts';
import { type GogApiMessage, GogEventSchema, type GogMessagePart, GogOutputSchemas } from './gog-schemas.ts';

/** Unexpected output: the executor reports it as GOG_BAD_OUTPUT with digests, never as a crash. */
export class GogOutputError extends Error {
  override readonly name = 'GogOutputError';
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new GogOutputError(`${what}: ${describeIssue(r.error, { root: 'output' }).message}`);
  return r.data;
}

/** Splits an address header on commas outside quotes and angle brackets. */
export function splitAddresses(header: string | undefined): string[] {
  if (!header) return [];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    if (ch === ',' && !quoted && angle === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function headerOf(part: GogMessagePart | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  return part?.headers?.find((h) => h.name.toLowerCase() === lower)?.value;
}

function decode(data: string | undefined): string {
  return data ? Buffer.from(data, 'base64url').toString('utf8') : '';
}

function* walk(part: GogMessagePart | undefined): Generator<GogMessagePart> {
  if (!part) return;
  yield part;
  for (const child of part.parts ?? []) yield* walk(child);
}

/** The best text body: the first text/plain part, else text/html rendered as text (links kept). */
export function bestBody(payload: GogMessagePart | undefined): string {
  const parts = [...walk(payload)].filter((p) => !p.filename);
  const plain = parts.find((p) => p.mimeType === 'text/plain' && p.body?.data);
  if (plain) return decode(plain.body?.data);
  const html = parts.find((p) => p.mimeType === 'text/html' && p.body?.data);
  return html ? htmlToText(decode(html.body?.data)) : '';
}

function attachmentsOf(payload: GogMessagePart | undefined): Message['attachments'] {
  return [...walk(payload)]
    .filter((p) => p.filename && p.body?.attachmentId)
    .map((p) => ({
      attachmentId: p.body?.attachmentId ?? '',
      filename: p.filename ?? '',
      mimeType: p.mimeType ?? 'application/octet-stream',
      size: p.body?.size ?? 0,
    }));
}

function isoDate(msg: GogApiMessage, fallback: string | undefined): string {
  if (msg.internalDate !== undefined) return new Date(Number(msg.internalDate)).toISOString();
  return fallback ?? '';
}

/** A raw Gmail API message (as in `thread get`) in the contract's Message shape. */
export function messageFromApi(msg: GogApiMessage): Message {
  const p = msg.payload;
  return {
    id: msg.id,
    threadId: msg.threadId,
    from: headerOf(p, 'From') ?? '',
    to: splitAddresses(headerOf(p, 'To')),
    cc: splitAddresses(headerOf(p, 'Cc')),
    bcc: splitAddresses(headerOf(p, 'Bcc')),
    date: isoDate(msg, headerOf(p, 'Date')),
    subject: headerOf(p, 'Subject') ?? '',
    labels: msg.labelIds ?? [],
    body: bestBody(p),
    attachments: attachmentsOf(p),
  };
}

function messageFromGet(out: z.infer<typeof GogOutputSchemas.get>): Message {
  const base = messageFromApi(out.message);
  const h = out.headers;
  return {
    ...base,
    from: h?.['from'] ?? base.from,
    to: h?.['to'] !== undefined ? splitAddresses(h['to']) : base.to,
    cc: h?.['cc'] !== undefined ? splitAddresses(h['cc']) : base.cc,
    bcc: h?.['bcc'] !== undefined ? splitAddresses(h['bcc']) : base.bcc,
    subject: h?.['subject'] ?? base.subject,
    body: out.body ?? base.body,
    attachments: out.attachments
      ? out.attachments.map(({ attachmentId, filename, mimeType, size }) => ({
          attachmentId,
          filename,
          mimeType,
          size,
        }))
      : base.attachments,
  };
}

export function eventFromGog(raw: unknown, calendarId: string): CalendarEvent {
  const e = parse(GogEventSchema, raw, 'event');
  const ev: CalendarEvent = {
    calendarId: e.CalendarID ?? calendarId,
    id: e.id,
    summary: e.summary ?? '',
    start: e.start.dateTime ?? e.start.date ?? '',
    end: e.end.dateTime ?? e.end.date ?? '',
  };
  if (e.location !== undefined) ev.location = e.location;
  if (e.attendees !== undefined) {
    ev.attendees = e.attendees.map((a) =>
      a.responseStatus === undefined ? { email: a.email } : { email: a.email, responseStatus: a.responseStatus },
    );
  }
  if (e.hangoutLink !== undefined) ev.hangoutLink = e.hangoutLink;
  if (e.description !== undefined) ev.description = e.description;
  if (e.status !== undefined) ev.status = e.status;
  return ev;
}

const token = (t: string | undefined): string | null => (t === undefined || t === '' ? null : t);

/** What gog answers for `gmail.attachment`: the file it wrote. The executor reads it and finishes the result. */
export type AttachmentWritten = z.infer<typeof GogOutputSchemas.attachment>;

/**
 * gog's JSON → the contract's result shapes, one normaliser per gog answer shape; the gog table
 * (commands.ts) names the one each action uses. Each throws GogOutputError on unexpected shapes.
 */
export const normalise = {
  search(json: unknown): ActionResult<'gmail.search'> {
    const o = parse(GogOutputSchemas.search, json, 'gmail search');
    return {
      threads: (o.threads ?? []).map((t) => ({
        threadId: t.id,
        date: t.date ?? '',
        from: t.from ?? '',
        subject: t.subject ?? '',
        labels: t.labels ?? [],
        messageCount: t.messageCount ?? 0,
      })),
      nextPageToken: token(o.nextPageToken),
    };
  },
  get(json: unknown): ActionResult<'gmail.get'> {
    return { message: messageFromGet(parse(GogOutputSchemas.get, json, 'gmail get')) };
  },
  thread(json: unknown): ActionResult<'gmail.thread.get'> {
    const o = parse(GogOutputSchemas.thread, json, 'gmail thread get');
    return { thread: { id: o.thread.id, messages: (o.thread.messages ?? []).map(messageFromApi) } };
  },
  attachmentWritten(json: unknown): AttachmentWritten {
    return parse(GogOutputSchemas.attachment, json, 'gmail attachment');
  },
  labels(json: unknown): ActionResult<'gmail.labels.list'> {
    const o = parse(GogOutputSchemas.labels, json, 'gmail labels list');
    return {
      labels: (o.labels ?? []).map((l) =>
        l.type === undefined ? { id: l.id, name: l.name } : { id: l.id, name: l.name, type: l.type },
      ),
    };
  },
  drafts(json: unknown): ActionResult<'gmail.drafts.list'> {
    const o = parse(GogOutputSchemas.drafts, json, 'gmail drafts list');
    return {
      drafts: (o.drafts ?? []).map((d) => ({
        draftId: d.id,
        messageId: d.messageId ?? '',
        threadId: d.threadId ?? '',
      })),
      nextPageToken: token(o.nextPageToken),
    };
  },
  events(json: unknown, fallbackCalendar: string, several = false): ActionResult<'calendar.events'> {
    const o = parse(GogOutputSchemas.events, json, 'calendar events');
    const events = (o.events ?? []).map((e) => eventFromGog(e, fallbackCalendar));
    const perCalendar = (o.nextPageTokens ?? []).filter((t) => t.nextPageToken !== '');
    // A token belongs to one calendar's list: several calendars get theirs one by one, never one merged token.
    if (several) {
      return {
        events,
        nextPageToken: null,
        nextPageTokens: perCalendar.map((t) => ({ calendarId: t.calendarId, nextPageToken: t.nextPageToken })),
      };
    }
    return { events, nextPageToken: token(perCalendar[0]?.nextPageToken ?? o.nextPageToken) };
  },
  event(json: unknown, calendarId: string, what: string): ActionResult<'calendar.event'> {
    const o = parse(GogOutputSchemas.event, json, what);
    return { event: eventFromGog(o.event, calendarId) };
  },
  eventDeleted(json: unknown): ActionResult<'calendar.delete'> {
    const o = parse(GogOutputSchemas.eventDeleted, json, 'calendar delete');
    return { deleted: o.deleted, eventId: o.eventId };
  },
  modify(json: unknown): ActionResult<'gmail.messages.modify'> {
    const o = parse(GogOutputSchemas.modify, json, 'gmail messages modify');
    return { modified: o.modified, addedLabels: o.addedLabels ?? [], removedLabels: o.removedLabels ?? [] };
  },
  bulk(json: unknown, what: string): ActionResult<'gmail.archive'> {
    const o = parse(GogOutputSchemas.bulk, json, what);
    return { action: o.action, count: o.count, addedLabels: o.addedLabels ?? [], removedLabels: o.removedLabels ?? [] };
  },
  draft(json: unknown, what: string): ActionResult<'gmail.drafts.create'> {
    const o = parse(GogOutputSchemas.draft, json, what);
    return { draftId: o.draftId, messageId: o.message?.id ?? '', threadId: o.threadId ?? o.message?.threadId ?? '' };
  },
  draftDeleted(json: unknown): ActionResult<'gmail.drafts.delete'> {
    const o = parse(GogOutputSchemas.draftDeleted, json, 'gmail drafts delete');
    return { deleted: o.deleted, draftId: o.draftId };
  },
  sent(json: unknown, what: string): ActionResult<'gmail.send'> {
    const o = parse(GogOutputSchemas.sent, json, what);
    return { messageId: o.messageId, threadId: o.threadId };
  },
};
