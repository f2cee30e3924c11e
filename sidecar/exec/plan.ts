// Pure argv planning: one exact gog command line per catalogue action, built only from validated params.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ActionName, ActionParams } from '../../shared/index.ts';
import { MailwardenError } from '../errors.ts';
import type { GogConfig, GogPlan } from './types.ts';

export class GogPlanError extends MailwardenError<'GOG_PLAN_INVALID'> {
  override readonly name = 'GogPlanError';
  constructor(message: string) {
    super('GOG_PLAN_INVALID', message);
  }
}

/** Read actions whose output carries mailbox text; gog marks it as external content with --wrap-untrusted. */
const WRAPPED_ACTIONS: ReadonlySet<ActionName> = new Set([
  'gmail.search',
  'gmail.get',
  'gmail.thread.get',
  'calendar.events',
  'calendar.event',
]);

/** Destructive commands ask for confirmation in gog; with --no-input they need --force or they refuse. */
const FORCED_ACTIONS: ReadonlySet<ActionName> = new Set(['gmail.drafts.delete', 'calendar.delete']);

/** Where `gmail.attachment` asks gog to write the file: inside the sidecar-owned gog home, named by hash. */
export function attachmentOutPath(home: string, messageId: string, attachmentId: string): string {
  const name = createHash('sha256').update(`${messageId}\u0000${attachmentId}`).digest('hex');
  return join(home, 'mailwarden-attachments', `${name}.bin`);
}

/** The fixed global flags every call starts with. */
export function globalFlags(action: ActionName, cfg: GogConfig): string[] {
  const flags = ['--json', '--no-input', '--account', cfg.account, '--home', cfg.home];
  if (cfg.noSend) flags.push('--gmail-no-send');
  if (cfg.wrapUntrusted && WRAPPED_ACTIONS.has(action)) flags.push('--wrap-untrusted');
  if (FORCED_ACTIONS.has(action)) flags.push('--force');
  return flags;
}

// SECURITY: free-text values go in the `--flag=value` form. gog's parser splits at the first '=', so a
// value such as "-x" or "--gmail-no-send=false" stays the flag's value and can never become a flag.
function opt(name: string, value: string | undefined): string[] {
  return value === undefined ? [] : [`--${name}=${value}`];
}

function csv(name: string, list: readonly string[] | undefined): string[] {
  if (list === undefined || list.length === 0) return [];
  return [`--${name}=${list.join(',')}`];
}

function labelCsv(name: string, labels: readonly string[] | undefined): string[] {
  if (labels === undefined || labels.length === 0) return [];
  for (const label of labels) {
    // gog splits label lists on commas; a comma inside a name would silently become two labels.
    if (label.includes(',')) throw new GogPlanError(`label "${label}" contains a comma, which gog cannot pass`);
  }
  return [`--${name}=${labels.join(',')}`];
}

/** Thread placement for composed mail: a reply-to message id decides the thread, so gog gets only one. */
function threading(p: { threadId?: string | undefined; replyToMessageId?: string | undefined }): string[] {
  if (p.replyToMessageId !== undefined) return ['--reply-to-message-id', p.replyToMessageId];
  if (p.threadId !== undefined) return ['--thread-id', p.threadId];
  return [];
}

interface Parts {
  readonly path: readonly string[];
  readonly options?: readonly string[];
  readonly positionals?: readonly string[];
  readonly stdin?: string;
}

const BODY_FROM_STDIN = ['--body-file', '-'];
/** Invitation mails for calendar writes: nobody is mailed unless the policy says so (calendar.writes.sendUpdates). */
function sendUpdates(cfg: GogConfig): string[] {
  return ['--send-updates', cfg.calendarSendUpdates ?? 'none'];
}

function commandParts(action: ActionName, params: unknown, cfg: GogConfig): Parts {
  // The caller validated params with ActionParamSchemas[action]; the casts below only name that type.
  switch (action) {
    case 'gmail.search': {
      const p = params as ActionParams<'gmail.search'>;
      const options = [
        ...(p.max === undefined ? [] : ['--max', String(p.max)]),
        ...(p.pageToken === undefined ? [] : ['--page', p.pageToken]),
      ];
      return { path: ['gmail', 'search'], options, positionals: [p.query] };
    }
    case 'gmail.get': {
      const p = params as ActionParams<'gmail.get'>;
      return { path: ['gmail', 'get'], options: ['--format', 'full'], positionals: [p.messageId] };
    }
    case 'gmail.thread.get': {
      const p = params as ActionParams<'gmail.thread.get'>;
      return { path: ['gmail', 'thread', 'get'], positionals: [p.threadId] };
    }
    case 'gmail.attachment': {
      const p = params as ActionParams<'gmail.attachment'>;
      const out = attachmentOutPath(cfg.home, p.messageId, p.attachmentId);
      return { path: ['gmail', 'attachment'], options: ['--out', out], positionals: [p.messageId, p.attachmentId] };
    }
    case 'gmail.labels.list':
      return { path: ['gmail', 'labels', 'list'] };
    case 'gmail.drafts.list':
      return { path: ['gmail', 'drafts', 'list'] };
    case 'calendar.events': {
      const p = params as ActionParams<'calendar.events'>;
      const options = [
        ...(p.calendarIds ?? []).flatMap((id) => ['--cal', id]),
        ...opt('from', p.start),
        ...opt('to', p.end),
        ...(p.max === undefined ? [] : ['--max', String(p.max)]),
      ];
      return { path: ['calendar', 'events'], options };
    }
    case 'calendar.event': {
      const p = params as ActionParams<'calendar.event'>;
      return { path: ['calendar', 'event'], positionals: [p.calendarId, p.eventId] };
    }
    case 'gmail.messages.modify': {
      const p = params as ActionParams<'gmail.messages.modify'>;
      if ((p.add ?? []).length === 0 && (p.remove ?? []).length === 0) {
        throw new GogPlanError('gmail.messages.modify needs at least one label in add or remove');
      }
      return {
        path: ['gmail', 'messages', 'modify'],
        options: [...labelCsv('add', p.add), ...labelCsv('remove', p.remove)],
        positionals: [p.messageId],
      };
    }
    case 'gmail.archive':
    case 'gmail.mark-read':
    case 'gmail.unread':
    case 'gmail.trash': {
      const p = params as ActionParams<'gmail.archive'>;
      return { path: ['gmail', action.slice('gmail.'.length)], positionals: p.messageIds };
    }
    case 'gmail.drafts.create':
    case 'gmail.send': {
      const p = params as ActionParams<'gmail.send'>;
      const options = [
        ...csv('to', p.to),
        ...csv('cc', p.cc),
        ...csv('bcc', p.bcc),
        ...opt('subject', p.subject),
        ...BODY_FROM_STDIN,
        ...threading(p),
      ];
      const path = action === 'gmail.send' ? ['gmail', 'send'] : ['gmail', 'drafts', 'create'];
      return { path, options, stdin: p.body };
    }
    case 'gmail.drafts.update': {
      const p = params as ActionParams<'gmail.drafts.update'>;
      const options = [
        ...csv('to', p.to),
        ...csv('cc', p.cc),
        ...csv('bcc', p.bcc),
        ...opt('subject', p.subject),
        ...(p.body === undefined ? [] : BODY_FROM_STDIN),
        ...threading(p),
      ];
      const parts: Parts = { path: ['gmail', 'drafts', 'update'], options, positionals: [p.draftId] };
      return p.body === undefined ? parts : { ...parts, stdin: p.body };
    }
    case 'gmail.drafts.send':
    case 'gmail.drafts.delete': {
      const p = params as ActionParams<'gmail.drafts.send'>;
      return {
        path: ['gmail', 'drafts', action === 'gmail.drafts.send' ? 'send' : 'delete'],
        positionals: [p.draftId],
      };
    }
    case 'gmail.reply': {
      const p = params as ActionParams<'gmail.reply'>;
      // gog's reply takes one address per --cc/--bcc (repeatable), not a comma list.
      const options = [
        ...(p.cc ?? []).map((a) => `--cc=${a}`),
        ...(p.bcc ?? []).map((a) => `--bcc=${a}`),
        ...BODY_FROM_STDIN,
      ];
      return {
        path: ['gmail', p.replyAll ? 'reply-all' : 'reply'],
        options,
        positionals: [p.messageId],
        stdin: p.body,
      };
    }
    case 'gmail.forward': {
      const p = params as ActionParams<'gmail.forward'>;
      const options = [
        ...csv('to', p.to),
        ...csv('cc', p.cc),
        ...csv('bcc', p.bcc),
        ...(p.body === undefined ? [] : ['--note-file', '-']),
      ];
      const parts: Parts = { path: ['gmail', 'forward'], options, positionals: [p.messageId] };
      return p.body === undefined ? parts : { ...parts, stdin: p.body };
    }
    case 'calendar.create': {
      const p = params as ActionParams<'calendar.create'>;
      const options = [
        ...opt('summary', p.summary),
        ...opt('from', p.start),
        ...opt('to', p.end),
        ...csv('attendees', p.attendees),
        ...opt('location', p.location),
        ...opt('description', p.description),
        ...sendUpdates(cfg),
      ];
      return { path: ['calendar', 'create'], options, positionals: [p.calendarId] };
    }
    case 'calendar.update': {
      const p = params as ActionParams<'calendar.update'>;
      const options = [
        ...opt('summary', p.summary),
        ...opt('from', p.start),
        ...opt('to', p.end),
        ...(p.attendees === undefined ? [] : [`--attendees=${p.attendees.join(',')}`]),
        ...opt('location', p.location),
        ...opt('description', p.description),
        ...sendUpdates(cfg),
      ];
      return { path: ['calendar', 'update'], options, positionals: [p.calendarId, p.eventId] };
    }
    case 'calendar.delete': {
      const p = params as ActionParams<'calendar.delete'>;
      return { path: ['calendar', 'delete'], options: sendUpdates(cfg), positionals: [p.calendarId, p.eventId] };
    }
    case 'calendar.respond': {
      const p = params as ActionParams<'calendar.respond'>;
      // gog's respond has no --send-updates; Google notifies the organiser of an RSVP either way.
      return {
        path: ['calendar', 'respond'],
        options: ['--status', p.response],
        positionals: [p.calendarId, p.eventId],
      };
    }
  }
}

/**
 * The gog argv (binary excluded) and stdin for one action. Pure. Params must already have been
 * validated with `ActionParamSchemas[action]`. Throws GogPlanError for the few values gog cannot carry.
 */
export function planGogCall(action: ActionName, params: unknown, cfg: GogConfig): GogPlan {
  const parts = commandParts(action, params, cfg);
  const argv = [
    ...globalFlags(action, cfg),
    ...parts.path,
    ...(parts.options ?? []),
    ...(parts.positionals === undefined || parts.positionals.length === 0 ? [] : ['--', ...parts.positionals]),
  ];
  return parts.stdin === undefined ? { argv } : { argv, stdin: parts.stdin };
}
