// The v1 action catalogue: one ActionSpec per canonical gog command path. Everything else that knows about an
// action (the sidecar's gog table, the outbound rules, the plugins' tools) is derived from it or is a mapped
// type over its names, so a new action cannot be added without stating its security traits.
import { z } from 'zod';
import {
  AttachmentResultSchema,
  BulkResultSchema,
  DraftDeletedResultSchema,
  DraftResultSchema,
  DraftsListResultSchema,
  EventDeletedResultSchema,
  EventResultSchema,
  EventsResultSchema,
  GetResultSchema,
  LabelsResultSchema,
  ModifyResultSchema,
  SearchResultSchema,
  SentResultSchema,
  ThreadResultSchema,
} from './results.ts';

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

// A lone UTF-16 surrogate is not text: no mail can carry it and canonical JSON cannot hash it.
const LONE_SURROGATE = /\p{Cs}/u;

/** Free text of any length limit: well-formed Unicode, which every string that can be hashed must be. */
export const wellFormedText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (it holds a lone surrogate such as \\ud800)');

const singleLine = (max: number) =>
  wellFormedText(max).refine((s) => !SINGLE_LINE_FORBIDDEN.test(s), 'must be a single line without control characters');

const text = (max: number) =>
  wellFormedText(max).refine(
    (s) => !TEXT_FORBIDDEN.test(s),
    'must not contain control characters other than tab and newlines',
  );

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

const draftUpdateParams = z.strictObject({
  draftId: IdSchema,
  to: outgoing.to.optional(),
  cc: outgoing.cc,
  bcc: outgoing.bcc,
  subject: SubjectSchema.optional(),
  body: BodySchema.optional(),
  threadId: outgoing.threadId,
  replyToMessageId: outgoing.replyToMessageId,
});

const calendarUpdateParams = z.strictObject({
  calendarId: IdSchema,
  eventId: IdSchema,
  summary: calendarFields.summary.optional(),
  start: TimeSchema.optional(),
  end: TimeSchema.optional(),
  attendees: calendarFields.attendees,
  location: calendarFields.location,
  description: calendarFields.description,
});

const messageIdsParams = z.strictObject({ messageIds: MessageIdsSchema });
const eventRef = { calendarId: IdSchema, eventId: IdSchema };

export type ActionClass = 'read' | 'organise' | 'write' | 'calendar_write';

/**
 * Who besides the mailbox owner an action's effect reaches. Everything but `none` goes through the outbound
 * rules (allowlists, reply-only, the exfiltration guard): `recipients` are mail addresses, `attendees` the
 * people on an event, `mailbox-rules` whoever a standing mailbox rule (a forwarding filter) would reach.
 */
export type Reach = 'none' | 'recipients' | 'attendees' | 'mailbox-rules';

export interface ActionSpec<P extends z.ZodObject = z.ZodObject, R extends z.ZodType = z.ZodType> {
  /** Strict parameters: unknown keys are refused, every value is safe to put in a gog argv. */
  readonly params: P;
  /** The normalised result the sidecar answers with (never gog's raw JSON). */
  readonly result: R;
  readonly class: ActionClass;
  readonly reaches: Reach;
  /** Puts mail in front of someone the moment it runs, so it counts against the send caps. */
  readonly delivers: boolean;
  /** Its result carries text written by people outside the mailbox: untrusted, and it taints the agent. */
  readonly outsideContent: boolean;
  /** The agent-facing tool name (snake_case, stable: runtimes store it in transcripts). */
  readonly tool: string;
  /** A short human label for tool pickers and approval cards. */
  readonly label: string;
  readonly description: string;
}

/** Keeps every literal (tool names, reach) while the compiler checks each entry against ActionSpec. */
function defineActions<const T extends Record<string, ActionSpec>>(specs: T): T {
  return specs;
}

const read = { class: 'read', reaches: 'none', delivers: false } as const;
const organise = { class: 'organise', reaches: 'none', delivers: false, outsideContent: false } as const;

export const ACTIONS = defineActions({
  'gmail.search': {
    ...read,
    params: z.strictObject({
      query: singleLine(2048).min(1, 'must not be empty'),
      max: z.number().int().min(1).max(500).optional(),
      pageToken: IdSchema.optional(),
    }),
    result: SearchResultSchema,
    outsideContent: true,
    tool: 'mail_search',
    label: 'Search mail',
    description: 'Search the mailbox with a Gmail query; returns matching threads.',
  },
  'gmail.get': {
    ...read,
    params: z.strictObject({ messageId: IdSchema }),
    result: GetResultSchema,
    outsideContent: true,
    tool: 'mail_get',
    label: 'Read message',
    description: 'Read one message by id.',
  },
  'gmail.thread.get': {
    ...read,
    params: z.strictObject({ threadId: IdSchema }),
    result: ThreadResultSchema,
    outsideContent: true,
    tool: 'mail_thread_get',
    label: 'Read thread',
    description: 'Read a whole thread by id.',
  },
  'gmail.attachment': {
    ...read,
    params: z.strictObject({ messageId: IdSchema, attachmentId: IdSchema }),
    result: AttachmentResultSchema,
    outsideContent: true,
    tool: 'mail_attachment',
    label: 'Get attachment',
    description: "Fetch one attachment's metadata and content by message and attachment id.",
  },
  'gmail.labels.list': {
    ...read,
    params: z.strictObject({}),
    result: LabelsResultSchema,
    outsideContent: false,
    tool: 'mail_labels_list',
    label: 'List labels',
    description: 'List the mailbox labels.',
  },
  'gmail.drafts.list': {
    ...read,
    params: z.strictObject({
      max: z.number().int().min(1).max(500).optional(),
      pageToken: IdSchema.optional(),
    }),
    result: DraftsListResultSchema,
    outsideContent: false,
    tool: 'mail_drafts_list',
    label: 'List drafts',
    description: 'List drafts.',
  },
  'calendar.events': {
    ...read,
    params: z.strictObject({
      start: TimeSchema.optional(),
      end: TimeSchema.optional(),
      calendarIds: z.array(IdSchema).min(1).max(50).optional(),
      max: z.number().int().min(1).max(2500).optional(),
      pageToken: IdSchema.optional(),
    }),
    result: EventsResultSchema,
    outsideContent: true,
    tool: 'calendar_events',
    label: 'List events',
    description: 'List calendar events in a time window.',
  },
  'calendar.event': {
    ...read,
    params: z.strictObject(eventRef),
    result: EventResultSchema,
    outsideContent: true,
    tool: 'calendar_event',
    label: 'Read event',
    description: 'Read one calendar event.',
  },

  'gmail.messages.modify': {
    ...organise,
    params: z.strictObject({
      messageId: IdSchema,
      add: z.array(LabelSchema).max(100).optional(),
      remove: z.array(LabelSchema).max(100).optional(),
    }),
    result: ModifyResultSchema,
    tool: 'mail_modify_labels',
    label: 'Change labels',
    description: 'Add or remove labels on one message.',
  },
  'gmail.archive': {
    ...organise,
    params: messageIdsParams,
    result: BulkResultSchema,
    tool: 'mail_archive',
    label: 'Archive mail',
    description: 'Archive messages (remove them from the inbox).',
  },
  'gmail.mark-read': {
    ...organise,
    params: messageIdsParams,
    result: BulkResultSchema,
    tool: 'mail_mark_read',
    label: 'Mark read',
    description: 'Mark messages as read.',
  },
  'gmail.unread': {
    ...organise,
    params: messageIdsParams,
    result: BulkResultSchema,
    tool: 'mail_mark_unread',
    label: 'Mark unread',
    description: 'Mark messages as unread.',
  },
  'gmail.trash': {
    ...organise,
    params: messageIdsParams,
    result: BulkResultSchema,
    tool: 'mail_trash',
    label: 'Trash mail',
    description: 'Move messages to the trash.',
  },

  // Drafts reach their recipients later, when sent: they are checked now, but do not count against caps.
  'gmail.drafts.create': {
    class: 'write',
    reaches: 'recipients',
    delivers: false,
    outsideContent: false,
    params: z.strictObject(outgoing),
    result: DraftResultSchema,
    tool: 'mail_draft_create',
    label: 'Create draft',
    description: 'Create a draft (nothing is sent).',
  },
  'gmail.drafts.update': {
    class: 'write',
    reaches: 'recipients',
    delivers: false,
    outsideContent: false,
    params: draftUpdateParams,
    result: DraftResultSchema,
    tool: 'mail_draft_update',
    label: 'Update draft',
    description: 'Change an existing draft.',
  },
  'gmail.drafts.send': {
    class: 'write',
    reaches: 'recipients',
    delivers: true,
    outsideContent: false,
    params: z.strictObject({ draftId: IdSchema }),
    result: SentResultSchema,
    tool: 'mail_draft_send',
    label: 'Send draft',
    description: 'Send an existing draft.',
  },
  'gmail.drafts.delete': {
    class: 'write',
    reaches: 'none',
    delivers: false,
    outsideContent: false,
    params: z.strictObject({ draftId: IdSchema }),
    result: DraftDeletedResultSchema,
    tool: 'mail_draft_delete',
    label: 'Delete draft',
    description: 'Delete a draft.',
  },
  'gmail.send': {
    class: 'write',
    reaches: 'recipients',
    delivers: true,
    outsideContent: false,
    params: z.strictObject(outgoing),
    result: SentResultSchema,
    tool: 'mail_send',
    label: 'Send mail',
    description: 'Send a new message.',
  },
  'gmail.reply': {
    class: 'write',
    reaches: 'recipients',
    delivers: true,
    outsideContent: false,
    params: z.strictObject({
      messageId: IdSchema,
      body: BodySchema,
      replyAll: z.boolean().optional(),
      cc: AddressListSchema.optional(),
      bcc: AddressListSchema.optional(),
    }),
    result: SentResultSchema,
    tool: 'mail_reply',
    label: 'Reply',
    description: 'Reply to a message (reply-all with replyAll: true).',
  },
  'gmail.forward': {
    class: 'write',
    reaches: 'recipients',
    delivers: true,
    outsideContent: false,
    params: z.strictObject({
      messageId: IdSchema,
      to: AddressListSchema.min(1, 'must list at least one recipient'),
      cc: AddressListSchema.optional(),
      bcc: AddressListSchema.optional(),
      body: BodySchema.optional(),
    }),
    result: SentResultSchema,
    tool: 'mail_forward',
    label: 'Forward',
    description: 'Forward a message to new recipients.',
  },

  // Creating or changing an event invites its attendees by mail when the policy's sendUpdates allows it.
  'calendar.create': {
    class: 'calendar_write',
    reaches: 'attendees',
    delivers: true,
    outsideContent: false,
    params: z.strictObject({ calendarId: IdSchema, ...calendarFields }),
    result: EventResultSchema,
    tool: 'calendar_create',
    label: 'Create event',
    description: 'Create a calendar event.',
  },
  'calendar.update': {
    class: 'calendar_write',
    reaches: 'attendees',
    delivers: true,
    outsideContent: false,
    params: calendarUpdateParams,
    result: EventResultSchema,
    tool: 'calendar_update',
    label: 'Update event',
    description: 'Change a calendar event.',
  },
  'calendar.delete': {
    class: 'calendar_write',
    reaches: 'attendees',
    delivers: false,
    outsideContent: false,
    params: z.strictObject(eventRef),
    result: EventDeletedResultSchema,
    tool: 'calendar_delete',
    label: 'Delete event',
    description: 'Delete a calendar event.',
  },
  'calendar.respond': {
    class: 'calendar_write',
    reaches: 'attendees',
    delivers: false,
    outsideContent: false,
    params: z.strictObject({ ...eventRef, response: z.enum(['accepted', 'declined', 'tentative']) }),
    result: EventResultSchema,
    tool: 'calendar_respond',
    label: 'Answer invitation',
    description: 'Answer an invitation (accepted, declined or tentative).',
  },
});

type Specs = typeof ACTIONS;
export type ActionName = keyof Specs;
export type ActionParams<A extends ActionName> = z.infer<Specs[A]['params']>;
export type ActionResult<A extends ActionName> = z.infer<Specs[A]['result']>;
export type ActionToolName = Specs[ActionName]['tool'];

export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];
export const ActionNameSchema = z.enum(ACTION_NAMES as [ActionName, ...ActionName[]]);

/** Derives one table from the specs, keeping each entry's own type. */
function derive<V>(pick: <A extends ActionName>(spec: Specs[A], action: A) => V): Readonly<Record<ActionName, V>> {
  return Object.fromEntries(ACTION_NAMES.map((a) => [a, pick(ACTIONS[a], a)])) as Record<ActionName, V>;
}

export const ActionParamSchemas = derive((s) => s.params) as { readonly [A in ActionName]: Specs[A]['params'] };
export const ACTION_RESULT_SCHEMAS = derive((s) => s.result) as { readonly [A in ActionName]: Specs[A]['result'] };
/** Each action's result schema under its own name (the shapes are shared, see results.ts). */
export const ResultSchemas = ACTION_RESULT_SCHEMAS;
export const ACTION_CLASS: Readonly<Record<ActionName, ActionClass>> = derive((s) => s.class);
export const ACTION_DESCRIPTIONS: Readonly<Record<ActionName, string>> = derive((s) => s.description);

/** Actions that put mail in front of someone other than the owner the moment they run. */
export const SEND_ACTIONS: ReadonlySet<ActionName> = new Set(
  ACTION_NAMES.filter((a) => ACTIONS[a].reaches === 'recipients' && ACTIONS[a].delivers),
);

/** Actions whose effect reaches someone besides the owner: each goes through the outbound rules. */
export const OUTBOUND_ACTIONS: ReadonlySet<ActionName> = new Set(
  ACTION_NAMES.filter((a) => ACTIONS[a].reaches !== 'none'),
);

export function isActionName(value: unknown): value is ActionName {
  return typeof value === 'string' && Object.hasOwn(ACTIONS, value);
}
