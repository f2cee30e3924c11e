// Normalised result shapes the sidecar returns to agents, independent of gog's raw JSON. Each action's spec in
// actions.ts names its shape.
import { z } from 'zod';

export const AttachmentMetaSchema = z.object({
  attachmentId: z.string(),
  filename: z.string(),
  mimeType: z.string(),
  size: z.number().int().nonnegative(),
});

export const MessageSchema = z.object({
  id: z.string(),
  threadId: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  date: z.string(),
  subject: z.string(),
  labels: z.array(z.string()),
  body: z.string(),
  attachments: z.array(AttachmentMetaSchema),
  /** Set by the content filter when the message was withheld or changed. */
  notice: z.string().optional(),
});
export type Message = z.infer<typeof MessageSchema>;

export const ThreadSummarySchema = z.object({
  threadId: z.string(),
  date: z.string(),
  from: z.string(),
  subject: z.string(),
  labels: z.array(z.string()),
  messageCount: z.number().int().nonnegative(),
});

export const AttendeeSchema = z.object({ email: z.string(), responseStatus: z.string().optional() });

export const EventSchema = z.object({
  calendarId: z.string(),
  id: z.string(),
  summary: z.string(),
  start: z.string(),
  end: z.string(),
  location: z.string().optional(),
  attendees: z.array(AttendeeSchema).optional(),
  hangoutLink: z.string().optional(),
  description: z.string().optional(),
  status: z.string().optional(),
});
export type CalendarEvent = z.infer<typeof EventSchema>;

export const SearchResultSchema = z.object({
  threads: z.array(ThreadSummarySchema),
  nextPageToken: z.string().nullable(),
});
export const GetResultSchema = z.object({ message: MessageSchema });
export const ThreadResultSchema = z.object({ thread: z.object({ id: z.string(), messages: z.array(MessageSchema) }) });
export const AttachmentResultSchema = z.object({
  attachment: AttachmentMetaSchema.extend({ messageId: z.string(), dataBase64: z.string().optional() }),
});
export const LabelsResultSchema = z.object({
  labels: z.array(z.object({ id: z.string(), name: z.string(), type: z.string().optional() })),
});
export const DraftsListResultSchema = z.object({
  drafts: z.array(z.object({ draftId: z.string(), messageId: z.string(), threadId: z.string() })),
  /** Pass back as pageToken for the next page; null on the last page. */
  nextPageToken: z.string().nullable().optional(),
});
export const EventsResultSchema = z.object({
  events: z.array(EventSchema),
  /** The next page of a one-calendar list (pass back as pageToken); null on the last page or for several calendars. */
  nextPageToken: z.string().nullable(),
  /** With several calendars: each calendar that has more events, and its token (list that calendar alone). */
  nextPageTokens: z.array(z.object({ calendarId: z.string(), nextPageToken: z.string() })).optional(),
});
export const EventResultSchema = z.object({ event: EventSchema });
export const ModifyResultSchema = z.object({
  modified: z.string(),
  addedLabels: z.array(z.string()),
  removedLabels: z.array(z.string()),
});
/** archive, mark-read, unread and trash answer alike. */
export const BulkResultSchema = z.object({
  action: z.string(),
  count: z.number().int(),
  addedLabels: z.array(z.string()),
  removedLabels: z.array(z.string()),
});
export const DraftResultSchema = z.object({ draftId: z.string(), messageId: z.string(), threadId: z.string() });
export const DraftDeletedResultSchema = z.object({ deleted: z.boolean(), draftId: z.string() });
/** send, reply, forward and drafts.send answer alike. */
export const SentResultSchema = z.object({ messageId: z.string(), threadId: z.string() });
export const EventDeletedResultSchema = z.object({ deleted: z.boolean(), eventId: z.string() });
