// The small argv pieces gog commands are built from. Pure; every value comes from validated params.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { MailwardenError } from '../errors.ts';
import type { GogConfig } from './types.ts';

export class GogPlanError extends MailwardenError<'GOG_PLAN_INVALID'> {
  override readonly name = 'GogPlanError';
  constructor(message: string) {
    super('GOG_PLAN_INVALID', message);
  }
}

/** The folder, inside the sidecar-owned gog home, that holds one folder per attachment read. */
export function attachmentsRoot(home: string): string {
  return join(home, 'mailwarden-attachments');
}

/**
 * Where `gmail.attachment` asks gog to write the file: named by hash, inside the call's own folder
 * (`callDir`) when there is one, so concurrent reads of the same attachment never share a file.
 */
export function attachmentOutPath(home: string, messageId: string, attachmentId: string, callDir?: string): string {
  const name = createHash('sha256').update(`${messageId}\u0000${attachmentId}`).digest('hex');
  return join(attachmentsRoot(home), ...(callDir ? [callDir] : []), `${name}.bin`);
}

// SECURITY: free-text values go in the `--flag=value` form. gog's parser splits at the first '=', so a
// value such as "-x" or "--gmail-no-send=false" stays the flag's value and can never become a flag.
export function opt(name: string, value: string | undefined): string[] {
  return value === undefined ? [] : [`--${name}=${value}`];
}

export function csv(name: string, list: readonly string[] | undefined): string[] {
  if (list === undefined || list.length === 0) return [];
  return [`--${name}=${list.join(',')}`];
}

export function labelCsv(name: string, labels: readonly string[] | undefined): string[] {
  if (labels === undefined || labels.length === 0) return [];
  for (const label of labels) {
    // gog splits label lists on commas; a comma inside a name would silently become two labels.
    if (label.includes(',')) throw new GogPlanError(`label "${label}" contains a comma, which gog cannot pass`);
  }
  return [`--${name}=${labels.join(',')}`];
}

/** Thread placement for composed mail: a reply-to message id decides the thread, so gog gets only one. */
export function threading(p: { threadId?: string | undefined; replyToMessageId?: string | undefined }): string[] {
  if (p.replyToMessageId !== undefined) return ['--reply-to-message-id', p.replyToMessageId];
  if (p.threadId !== undefined) return ['--thread-id', p.threadId];
  return [];
}

export const BODY_FROM_STDIN = ['--body-file', '-'];

/** Invitation mails for calendar writes: nobody is mailed unless the policy says so (calendar.writes.sendUpdates). */
export function sendUpdates(cfg: GogConfig): string[] {
  return ['--send-updates', cfg.calendarSendUpdates ?? 'none'];
}
