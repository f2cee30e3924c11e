// The v1 action catalogue: canonical gog command paths, their class and their strict parameter schemas.
import { z } from 'zod';

// SECURITY: every value here may end up in a gog argv. Ids are restricted to a safe character set
// and may never start with '-', so nothing an agent sends can be read as a flag even before `--`.
const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:@=+/-]{0,511}$/;
// C0 controls, DEL, and the Unicode line/paragraph separators are never valid in single-line values.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject control characters
const SINGLE_LINE_FORBIDDEN = /[\u0000-\u001f\u007f\u2028\u2029]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject control characters
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export const IdSchema = z
  .string()
  .regex(ID_PATTERN, 'must be an id of letters, digits and _.:@=+/- that does not start with "-"');

const singleLine = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !SINGLE_LINE_FORBIDDEN.test(s), 'must be a single line without control characters');

const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !TEXT_FORBIDDEN.test(s), 'must not contain control characters other than tab and newlines');

/**
 * A bare mailbox address, `local@domain`. Display names, angle brackets, whitespace, quotes and
 * several `@` are refused here; the sidecar's outbound guard applies the stricter rules
 * (IDN lookalikes, allowlists) on top.
 */
export const AddressSchema = z
  .string()
  .max(320, 'must be at most 320 characters')
  .regex(
    /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/,
    'must be a bare address like "a@example.com" (no display name, quotes, spaces or angle brackets)',
  );
export const AddressListSchema = z.array(AddressSchema).max(500, 'must list at most 500 addresses');

export const TimeSchema = z.iso.datetime({
  offset: true,
  message: 'must be an RFC 3339 time with a zone, e.g. 2026-11-20T09:00:00Z',
});

const LabelSchema = singleLine(225).min(1, 'must not be empty');
const MessageIdsSchema = z.array(IdSchema).min(1, 'must list at least one id').max(1000, 'must list at most 1000 ids');

const SubjectSchema = singleLine(998);
const BodySchema = text(5_000_000);

const outgoing = {
  to: AddressListSchema.min(1, 'must list at least one recipient'),
  cc: AddressListSchema.optional(),
  bcc: AddressListSchema.optional(),
  subject: SubjectSchema,
  body: BodySchema,
  threadId: IdSchema.optional(),
  replyToMessageId: IdSchema.optional(),
};

const calendarFields = {
  summary: singleLine(1024),
  start: TimeSchema,
  end: TimeSchema,
  attendees: AddressListSchema.optional(),
  location: singleLine(1024).optional(),
  description: text(65_536).optional(),
};

export const ActionParamSchemas = {
  'gmail.search': z.strictObject({
    query: singleLine(2048).min(1, 'must not be empty'),
    max: z.number().int().min(1).max(500).optional(),
    pageToken: IdSchema.optional(),
  }),
  'gmail.get': z.strictObject({ messageId: IdSchema }),
  'gmail.thread.get': z.strictObject({ threadId: IdSchema }),
  'gmail.attachment': z.strictObject({ messageId: IdSchema, attachmentId: IdSchema }),
  'gmail.labels.list': z.strictObject({}),
  'gmail.drafts.list': z.strictObject({}),
  'calendar.events': z.strictObject({
    start: TimeSchema.optional(),
    end: TimeSchema.optional(),
    calendarIds: z.array(IdSchema).min(1).max(50).optional(),
    max: z.number().int().min(1).max(2500).optional(),
  }),
  'calendar.event': z.strictObject({ calendarId: IdSchema, eventId: IdSchema }),

  'gmail.messages.modify': z.strictObject({
    messageId: IdSchema,
    add: z.array(LabelSchema).max(100).optional(),
    remove: z.array(LabelSchema).max(100).optional(),
  }),
  'gmail.archive': z.strictObject({ messageIds: MessageIdsSchema }),
  'gmail.mark-read': z.strictObject({ messageIds: MessageIdsSchema }),
  'gmail.unread': z.strictObject({ messageIds: MessageIdsSchema }),
  'gmail.trash': z.strictObject({ messageIds: MessageIdsSchema }),

  'gmail.drafts.create': z.strictObject(outgoing),
  'gmail.drafts.update': z.strictObject({
    draftId: IdSchema,
    to: outgoing.to.optional(),
    cc: outgoing.cc,
    bcc: outgoing.bcc,
    subject: SubjectSchema.optional(),
    body: BodySchema.optional(),
    threadId: outgoing.threadId,
    replyToMessageId: outgoing.replyToMessageId,
  }),
  'gmail.drafts.send': z.strictObject({ draftId: IdSchema }),
  'gmail.drafts.delete': z.strictObject({ draftId: IdSchema }),
  'gmail.send': z.strictObject(outgoing),
  'gmail.reply': z.strictObject({
    messageId: IdSchema,
    body: BodySchema,
    replyAll: z.boolean().optional(),
    cc: AddressListSchema.optional(),
    bcc: AddressListSchema.optional(),
  }),
  'gmail.forward': z.strictObject({
    messageId: IdSchema,
    to: AddressListSchema.min(1, 'must list at least one recipient'),
    cc: AddressListSchema.optional(),
    bcc: AddressListSchema.optional(),
    body: BodySchema.optional(),
  }),

  'calendar.create': z.strictObject({ calendarId: IdSchema, ...calendarFields }),
  'calendar.update': z.strictObject({
    calendarId: IdSchema,
    eventId: IdSchema,
    summary: calendarFields.summary.optional(),
    start: TimeSchema.optional(),
    end: TimeSchema.optional(),
    attendees: calendarFields.attendees,
    location: calendarFields.location,
    description: calendarFields.description,
  }),
  'calendar.delete': z.strictObject({ calendarId: IdSchema, eventId: IdSchema }),
  'calendar.respond': z.strictObject({
    calendarId: IdSchema,
    eventId: IdSchema,
    response: z.enum(['accepted', 'declined', 'tentative']),
  }),
} as const;

export type ActionName = keyof typeof ActionParamSchemas;
export type ActionParams<A extends ActionName> = z.infer<(typeof ActionParamSchemas)[A]>;

export const ACTION_NAMES = Object.keys(ActionParamSchemas) as ActionName[];
export const ActionNameSchema = z.enum(ACTION_NAMES as [ActionName, ...ActionName[]]);

export type ActionClass = 'read' | 'organise' | 'write' | 'calendar_write';

export const ACTION_CLASS: Readonly<Record<ActionName, ActionClass>> = {
  'gmail.search': 'read',
  'gmail.get': 'read',
  'gmail.thread.get': 'read',
  'gmail.attachment': 'read',
  'gmail.labels.list': 'read',
  'gmail.drafts.list': 'read',
  'calendar.events': 'read',
  'calendar.event': 'read',
  'gmail.messages.modify': 'organise',
  'gmail.archive': 'organise',
  'gmail.mark-read': 'organise',
  'gmail.unread': 'organise',
  'gmail.trash': 'organise',
  'gmail.drafts.create': 'write',
  'gmail.drafts.update': 'write',
  'gmail.drafts.send': 'write',
  'gmail.drafts.delete': 'write',
  'gmail.send': 'write',
  'gmail.reply': 'write',
  'gmail.forward': 'write',
  'calendar.create': 'calendar_write',
  'calendar.update': 'calendar_write',
  'calendar.delete': 'calendar_write',
  'calendar.respond': 'calendar_write',
};

/** Actions that put mail in front of someone other than the owner. */
export const SEND_ACTIONS: ReadonlySet<ActionName> = new Set([
  'gmail.send',
  'gmail.reply',
  'gmail.forward',
  'gmail.drafts.send',
]);

export const ACTION_DESCRIPTIONS: Readonly<Record<ActionName, string>> = {
  'gmail.search': 'Search the mailbox with a Gmail query; returns matching threads.',
  'gmail.get': 'Read one message by id.',
  'gmail.thread.get': 'Read a whole thread by id.',
  'gmail.attachment': "Fetch one attachment's metadata and content by message and attachment id.",
  'gmail.labels.list': 'List the mailbox labels.',
  'gmail.drafts.list': 'List drafts.',
  'calendar.events': 'List calendar events in a time window.',
  'calendar.event': 'Read one calendar event.',
  'gmail.messages.modify': 'Add or remove labels on one message.',
  'gmail.archive': 'Archive messages (remove them from the inbox).',
  'gmail.mark-read': 'Mark messages as read.',
  'gmail.unread': 'Mark messages as unread.',
  'gmail.trash': 'Move messages to the trash.',
  'gmail.drafts.create': 'Create a draft (nothing is sent).',
  'gmail.drafts.update': 'Change an existing draft.',
  'gmail.drafts.send': 'Send an existing draft.',
  'gmail.drafts.delete': 'Delete a draft.',
  'gmail.send': 'Send a new message.',
  'gmail.reply': 'Reply to a message (reply-all with replyAll: true).',
  'gmail.forward': 'Forward a message to new recipients.',
  'calendar.create': 'Create a calendar event.',
  'calendar.update': 'Change a calendar event.',
  'calendar.delete': 'Delete a calendar event.',
  'calendar.respond': 'Answer an invitation (accepted, declined or tentative).',
};

export function isActionName(value: unknown): value is ActionName {
  return typeof value === 'string' && Object.hasOwn(ActionParamSchemas, value);
}
