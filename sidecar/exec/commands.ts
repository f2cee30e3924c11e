// The gog table: for every catalogue action, the gog command it runs, its argv built from the action's own
// typed params, and the normaliser from gog's JSON to the action's result. A mapped type over the action
// names, so a new action does not compile until it has all of these.
import type { ActionName, ActionParams, ActionResult } from '../../shared/index.ts';
import {
  attachmentOutPath,
  BODY_FROM_STDIN,
  csv,
  GogPlanError,
  labelCsv,
  opt,
  sendUpdates,
  threading,
} from './argv.ts';
import { type AttachmentWritten, normalise } from './normalise.ts';
import type { GogConfig } from './types.ts';

/**
 * gog hands the same --page token to every calendar it lists, but a token belongs to one calendar's list;
 * so a token is only passed on for a one-calendar list.
 */
function pageForOneCalendar(p: ActionParams<'calendar.events'>): string[] {
  if (p.pageToken === undefined) return [];
  if ((p.calendarIds ?? []).length > 1)
    throw new GogPlanError("pageToken continues one calendar's list: ask for that calendar alone in calendarIds");
  return ['--page', p.pageToken];
}

/** One gog call's parts; the fixed global flags and `--` are added by planGogCall. */
export interface CommandParts {
  /** Overrides the command's path where gog picks the command by a param (reply → reply-all). */
  readonly path?: readonly string[];
  readonly options?: readonly string[];
  readonly positionals?: readonly string[];
  readonly stdin?: string;
}

/** gog answers `gmail.attachment` with the file it wrote; the executor reads it and finishes the result. */
export type Normalised<A extends ActionName> = A extends 'gmail.attachment' ? AttachmentWritten : ActionResult<A>;

export interface GogCommand<A extends ActionName> {
  /** Every gog command path the action may run; the first is the usual one. Baked profiles check them all. */
  readonly paths: readonly (readonly string[])[];
  /** gog asks to confirm this command; with --no-input it needs --force or it refuses. */
  readonly force?: true;
  /** Its output carries mailbox text that gog's --wrap-untrusted marks, when configured. */
  readonly wrap?: true;
  readonly args: (p: ActionParams<A>, cfg: GogConfig) => CommandParts;
  readonly normalise: (json: unknown, p: ActionParams<A>) => Normalised<A>;
}

type GogTable = { readonly [A in ActionName]: GogCommand<A> };

const bulk = <A extends 'gmail.archive' | 'gmail.mark-read' | 'gmail.unread' | 'gmail.trash'>(
  verb: string,
): GogCommand<A> => ({
  paths: [['gmail', verb]],
  args: (p) => ({ positionals: p.messageIds }),
  normalise: (json) => normalise.bulk(json, `gmail ${verb}`) as Normalised<A>,
});

/** Composed mail: to/cc/bcc as lists, the subject as a value, the body on stdin. */
function compose(p: ActionParams<'gmail.send'>): CommandParts {
  return {
    options: [
      ...csv('to', p.to),
      ...csv('cc', p.cc),
      ...csv('bcc', p.bcc),
      ...opt('subject', p.subject),
      ...BODY_FROM_STDIN,
      ...threading(p),
    ],
    stdin: p.body,
  };
}

export const GOG_COMMANDS: GogTable = {
  'gmail.search': {
    paths: [['gmail', 'search']],
    wrap: true,
    args: (p) => ({
      options: [
        ...(p.max === undefined ? [] : ['--max', String(p.max)]),
        ...(p.pageToken === undefined ? [] : ['--page', p.pageToken]),
      ],
      positionals: [p.query],
    }),
    normalise: (json) => normalise.search(json),
  },
  'gmail.get': {
    paths: [['gmail', 'get']],
    wrap: true,
    args: (p) => ({ options: ['--format', 'full'], positionals: [p.messageId] }),
    normalise: (json) => normalise.get(json),
  },
  'gmail.thread.get': {
    paths: [['gmail', 'thread', 'get']],
    wrap: true,
    args: (p) => ({ positionals: [p.threadId] }),
    normalise: (json) => normalise.thread(json),
  },
  'gmail.attachment': {
    paths: [['gmail', 'attachment']],
    args: (p, cfg) => ({
      options: ['--out', attachmentOutPath(cfg.home, p.messageId, p.attachmentId, cfg.attachmentCallDir)],
      positionals: [p.messageId, p.attachmentId],
    }),
    normalise: (json) => normalise.attachmentWritten(json),
  },
  'gmail.labels.list': {
    paths: [['gmail', 'labels', 'list']],
    args: () => ({}),
    normalise: (json) => normalise.labels(json),
  },
  'gmail.drafts.list': {
    paths: [['gmail', 'drafts', 'list']],
    // gog lists 20 drafts unless told otherwise; the next page comes back through --page.
    args: (p) => ({
      options: [
        ...(p.max === undefined ? [] : ['--max', String(p.max)]),
        ...(p.pageToken === undefined ? [] : ['--page', p.pageToken]),
      ],
    }),
    normalise: (json) => normalise.drafts(json),
  },
  'calendar.events': {
    paths: [['calendar', 'events']],
    wrap: true,
    // gog resolves --cal against the calendar list (ids and names), where the primary calendar appears under
    // the account's address, never as "primary": so "primary" goes as the account.
    args: (p, cfg) => ({
      options: [
        ...(p.calendarIds ?? []).flatMap((id) => ['--cal', id === 'primary' ? cfg.account : id]),
        ...opt('from', p.start),
        ...opt('to', p.end),
        ...(p.max === undefined ? [] : ['--max', String(p.max)]),
        ...pageForOneCalendar(p),
      ],
    }),
    normalise: (json, p) => normalise.events(json, p.calendarIds?.[0] ?? 'primary', (p.calendarIds ?? []).length > 1),
  },
  'calendar.event': {
    paths: [['calendar', 'event']],
    wrap: true,
    args: (p) => ({ positionals: [p.calendarId, p.eventId] }),
    normalise: (json, p) => normalise.event(json, p.calendarId, 'calendar.event'),
  },

  'gmail.messages.modify': {
    paths: [['gmail', 'messages', 'modify']],
    args: (p) => {
      if ((p.add ?? []).length === 0 && (p.remove ?? []).length === 0) {
        throw new GogPlanError('gmail.messages.modify needs at least one label in add or remove');
      }
      return { options: [...labelCsv('add', p.add), ...labelCsv('remove', p.remove)], positionals: [p.messageId] };
    },
    normalise: (json) => normalise.modify(json),
  },
  'gmail.archive': bulk('archive'),
  'gmail.mark-read': bulk('mark-read'),
  'gmail.unread': bulk('unread'),
  'gmail.trash': bulk('trash'),

  'gmail.drafts.create': {
    paths: [['gmail', 'drafts', 'create']],
    args: compose,
    normalise: (json) => normalise.draft(json, 'gmail.drafts.create'),
  },
  'gmail.drafts.update': {
    paths: [['gmail', 'drafts', 'update']],
    args: (p) => ({
      options: [
        ...csv('to', p.to),
        ...csv('cc', p.cc),
        ...csv('bcc', p.bcc),
        ...opt('subject', p.subject),
        ...(p.body === undefined ? [] : BODY_FROM_STDIN),
        ...threading(p),
      ],
      positionals: [p.draftId],
      ...(p.body === undefined ? {} : { stdin: p.body }),
    }),
    normalise: (json) => normalise.draft(json, 'gmail.drafts.update'),
  },
  'gmail.drafts.send': {
    paths: [['gmail', 'drafts', 'send']],
    args: (p) => ({ positionals: [p.draftId] }),
    normalise: (json) => normalise.sent(json, 'gmail.drafts.send'),
  },
  'gmail.drafts.delete': {
    paths: [['gmail', 'drafts', 'delete']],
    force: true,
    args: (p) => ({ positionals: [p.draftId] }),
    normalise: (json) => normalise.draftDeleted(json),
  },
  'gmail.send': {
    paths: [['gmail', 'send']],
    args: compose,
    normalise: (json) => normalise.sent(json, 'gmail.send'),
  },
  'gmail.reply': {
    paths: [
      ['gmail', 'reply'],
      ['gmail', 'reply-all'],
    ],
    // gog's reply takes one address per --cc/--bcc (repeatable), not a comma list.
    args: (p) => ({
      path: ['gmail', p.replyAll ? 'reply-all' : 'reply'],
      options: [...(p.cc ?? []).map((a) => `--cc=${a}`), ...(p.bcc ?? []).map((a) => `--bcc=${a}`), ...BODY_FROM_STDIN],
      positionals: [p.messageId],
      stdin: p.body,
    }),
    normalise: (json) => normalise.sent(json, 'gmail.reply'),
  },
  'gmail.forward': {
    paths: [['gmail', 'forward']],
    args: (p) => ({
      options: [
        ...csv('to', p.to),
        ...csv('cc', p.cc),
        ...csv('bcc', p.bcc),
        ...(p.body === undefined ? [] : ['--note-file', '-']),
      ],
      positionals: [p.messageId],
      ...(p.body === undefined ? {} : { stdin: p.body }),
    }),
    normalise: (json) => normalise.sent(json, 'gmail.forward'),
  },

  'calendar.create': {
    paths: [['calendar', 'create']],
    args: (p, cfg) => ({
      options: [
        ...opt('summary', p.summary),
        ...opt('from', p.start),
        ...opt('to', p.end),
        ...csv('attendees', p.attendees),
        ...opt('location', p.location),
        ...opt('description', p.description),
        ...sendUpdates(cfg),
      ],
      positionals: [p.calendarId],
    }),
    normalise: (json, p) => normalise.event(json, p.calendarId, 'calendar.create'),
  },
  'calendar.update': {
    paths: [['calendar', 'update']],
    args: (p, cfg) => ({
      options: [
        ...opt('summary', p.summary),
        ...opt('from', p.start),
        ...opt('to', p.end),
        // An empty list is meaningful here: it removes every attendee.
        ...(p.attendees === undefined ? [] : [`--attendees=${p.attendees.join(',')}`]),
        ...opt('location', p.location),
        ...opt('description', p.description),
        ...sendUpdates(cfg),
      ],
      positionals: [p.calendarId, p.eventId],
    }),
    normalise: (json, p) => normalise.event(json, p.calendarId, 'calendar.update'),
  },
  'calendar.delete': {
    paths: [['calendar', 'delete']],
    force: true,
    args: (p, cfg) => ({ options: sendUpdates(cfg), positionals: [p.calendarId, p.eventId] }),
    normalise: (json) => normalise.eventDeleted(json),
  },
  'calendar.respond': {
    paths: [['calendar', 'respond']],
    // gog's respond has no --send-updates; Google notifies the organiser of an RSVP either way.
    args: (p) => ({ options: ['--status', p.response], positionals: [p.calendarId, p.eventId] }),
    normalise: (json, p) => normalise.event(json, p.calendarId, 'calendar.respond'),
  },
};

/** The table entry of one action, with its generic parameter kept. */
export function gogCommand<A extends ActionName>(action: A): GogCommand<A> {
  return GOG_COMMANDS[action];
}
