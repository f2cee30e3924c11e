// Normalised results the sidecar returns to agents for each action, independent of gog's raw JSON.
import { z } from 'zod';
import type { ActionName } from './actions.ts';

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

export const ResultSchemas = {
  'gmail.search': z.object({ threads: z.array(ThreadSummarySchema), nextPageToken: z.string().nullable() }),
  'gmail.get': z.object({ message: MessageSchema }),
  'gmail.thread.get': z.object({ thread: z.object({ id: z.string(), messages: z.array(MessageSchema) }) }),
  'gmail.attachment': z.object({
    attachment: AttachmentMetaSchema.extend({ messageId: z.string(), dataBase64: z.string().optional() }),
  }),
  'gmail.labels.list': z.object({
    labels: z.array(z.object({ id: z.string(), name: z.string(), type: z.string().optional() })),
  }),
  'gmail.drafts.list': z.object({
    drafts: z.array(z.object({ draftId: z.string(), messageId: z.string(), threadId: z.string() })),
  }),
  'calendar.events': z.object({ events: z.array(EventSchema), nextPageToken: z.string().nullable() }),
  'calendar.event': z.object({ event: EventSchema }),
  'gmail.messages.modify': z.object({
    modified: z.string(),
    addedLabels: z.array(z.string()),
    removedLabels: z.array(z.string()),
  }),
  'gmail.archive': z.object({
    action: z.string(),
    count: z.number().int(),
    addedLabels: z.array(z.string()),
    removedLabels: z.array(z.string()),
  }),
  'gmail.drafts.create': z.object({ draftId: z.string(), messageId: z.string(), threadId: z.string() }),
  'gmail.drafts.delete': z.object({ deleted: z.boolean(), draftId: z.string() }),
  'gmail.send': z.object({ messageId: z.string(), threadId: z.string() }),
  'calendar.create': z.object({ event: EventSchema }),
  'calendar.delete': z.object({ deleted: z.boolean(), eventId: z.string() }),
  'calendar.respond': z.object({ event: EventSchema }),
} as const;
// Actions sharing a result shape: mark-read/unread/trash answer like archive; drafts.update like create;
// reply/forward/drafts.send like send; calendar.update like create.

/** The result schema of every action in the catalogue, with the shared shapes spelled out. */
export const ACTION_RESULT_SCHEMAS: Readonly<Record<ActionName, z.ZodType>> = {
  ...ResultSchemas,
  'gmail.mark-read': ResultSchemas['gmail.archive'],
  'gmail.unread': ResultSchemas['gmail.archive'],
  'gmail.trash': ResultSchemas['gmail.archive'],
  'gmail.drafts.update': ResultSchemas['gmail.drafts.create'],
  'gmail.drafts.send': ResultSchemas['gmail.send'],
  'gmail.reply': ResultSchemas['gmail.send'],
  'gmail.forward': ResultSchemas['gmail.send'],
  'calendar.update': ResultSchemas['calendar.create'],
};
