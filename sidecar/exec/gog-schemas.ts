// zod schemas for gog's real --json output, loose where gog or Google may add fields.
import { z } from 'zod';

const Header = z.object({ name: z.string(), value: z.string() });

export interface GogMessagePart {
  mimeType?: string | undefined;
  filename?: string | undefined;
  headers?: { name: string; value: string }[] | undefined;
  body?: { data?: string | undefined; attachmentId?: string | undefined; size?: number | undefined } | undefined;
  parts?: GogMessagePart[] | undefined;
}

export const GogMessagePartSchema: z.ZodType<GogMessagePart> = z.lazy(() =>
  z.object({
    mimeType: z.string().optional(),
    filename: z.string().optional(),
    headers: z.array(Header).optional(),
    body: z
      .object({ data: z.string().optional(), attachmentId: z.string().optional(), size: z.number().optional() })
      .optional(),
    parts: z.array(GogMessagePartSchema).optional(),
  }),
);

/** A Gmail API Message as gog prints it; `internalDate` and `historyId` are strings. */
export const GogApiMessageSchema = z.object({
  id: z.string(),
  threadId: z.string(),
  labelIds: z.array(z.string()).optional(),
  internalDate: z.string().regex(/^\d+$/, 'must be a decimal string').optional(),
  historyId: z.string().optional(),
  snippet: z.string().optional(),
  payload: GogMessagePartSchema.optional(),
});
export type GogApiMessage = z.infer<typeof GogApiMessageSchema>;

const GogAttachmentSchema = z.object({
  attachmentId: z.string(),
  filename: z.string(),
  mimeType: z.string(),
  size: z.number().int().nonnegative(),
});

export const GogOutputSchemas = {
  search: z.object({
    threads: z
      .array(
        // gog leaves empty fields out of a row (omitempty), e.g. a thread without a subject.
        z.object({
          id: z.string(),
          date: z.string().optional(),
          from: z.string().optional(),
          subject: z.string().optional(),
          labels: z.array(z.string()).nullable().optional(),
          messageCount: z.number().int().nonnegative().optional(),
        }),
      )
      .nullable(),
    nextPageToken: z.string().optional(),
  }),
  get: z.object({
    body: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    message: GogApiMessageSchema,
    attachments: z.array(GogAttachmentSchema).nullable().optional(),
  }),
  thread: z.object({
    thread: z.object({ id: z.string(), messages: z.array(GogApiMessageSchema).nullable() }),
  }),
  attachment: z.object({ path: z.string(), bytes: z.number().int().nonnegative(), cached: z.boolean().optional() }),
  labels: z.object({
    labels: z.array(z.object({ id: z.string(), name: z.string(), type: z.string().optional() })).nullable(),
  }),
  drafts: z.object({
    drafts: z
      .array(z.object({ id: z.string(), messageId: z.string().optional(), threadId: z.string().optional() }))
      .nullable(),
    nextPageToken: z.string().optional(),
  }),
  modify: z.object({
    modified: z.string(),
    addedLabels: z.array(z.string()).nullable(),
    removedLabels: z.array(z.string()).nullable(),
  }),
  bulk: z.object({
    action: z.string(),
    count: z.number().int().nonnegative(),
    addedLabels: z.array(z.string()).nullable().optional(),
    removedLabels: z.array(z.string()).nullable().optional(),
  }),
  draft: z.object({
    draftId: z.string(),
    message: z.object({ id: z.string(), threadId: z.string().optional() }).nullable().optional(),
    threadId: z.string().optional(),
  }),
  draftDeleted: z.object({ deleted: z.boolean(), draftId: z.string() }),
  sent: z.object({ messageId: z.string(), threadId: z.string(), from: z.string().optional() }),
  events: z.object({
    events: z.array(z.record(z.string(), z.unknown())).nullable(),
    nextPageToken: z.string().optional(),
    nextPageTokens: z.array(z.object({ calendarId: z.string(), nextPageToken: z.string() })).optional(),
  }),
  event: z.object({ event: z.record(z.string(), z.unknown()) }),
  eventDeleted: z.object({ deleted: z.boolean(), eventId: z.string(), calendarId: z.string().optional() }),
} as const;

const EventTime = z.object({ dateTime: z.string().optional(), date: z.string().optional() });

/** A Google Calendar event as gog prints it (plus gog's CalendarID when several calendars were listed). */
export const GogEventSchema = z.object({
  id: z.string(),
  summary: z.string().optional(),
  start: EventTime,
  end: EventTime,
  location: z.string().optional(),
  description: z.string().optional(),
  hangoutLink: z.string().optional(),
  status: z.string().optional(),
  attendees: z.array(z.object({ email: z.string(), responseStatus: z.string().optional() })).optional(),
  CalendarID: z.string().optional(),
  organizer: z.object({ email: z.string().optional() }).optional(),
});
