// gog's exit codes mapped to the executor's error codes, with what the operator should do about each.
import type { GogConfig, GogErrorCode } from './types.ts';

/** gog's exit codes (see docs/gog-backend.md). */
export const GOG_EXIT = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  EMPTY: 3,
  AUTH: 4,
  NOT_FOUND: 5,
  PERMISSION: 6,
  RATE_LIMITED: 7,
  RETRYABLE: 8,
  CONFIG: 10,
  ORPHANED: 11,
  CANCELLED: 130,
} as const;

const MAX_LINE = 300;

/**
 * gog's one-line error, cleaned for a message: the last non-empty stderr line, control characters
 * removed, cut to 300 characters. Longer stderr (which could quote mail) never reaches a message.
 */
export function gogErrorLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const line = (lines[lines.length - 1] ?? '').replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line;
}

/** Blocks are exit 2 too; gog's block messages say "blocked" or name the baked safety profile. */
export function isBlockMessage(line: string): boolean {
  return /\bblocked\b/i.test(line) || /baked safety profile/i.test(line);
}

/**
 * gog's exit 2 also covers refusals about the target or the values given, not the command line: "you are not
 * an attendee of this event", "cannot respond to your own event", "missing query", "required: --body", …
 */
export function isRefusalMessage(line: string): boolean {
  return /not an attendee|your own event|has no attendees|no recipients|system label|refusing to|^missing |^empty |^required: |must be one of|^invalid (status|--subject|--from)/i.test(
    line,
  );
}

/** A missing OAuth scope: gog's own grant check (exit 4) or Google's 403 insufficient scopes (exit 6). */
export function isScopeMessage(line: string): boolean {
  return /missing required .*scope|insufficient authentication scopes|insufficientPermissions|ACCESS_TOKEN_SCOPE_INSUFFICIENT/i.test(
    line,
  );
}

export function codeForExit(exitCode: number, line: string): GogErrorCode {
  switch (exitCode) {
    case GOG_EXIT.USAGE:
      if (isBlockMessage(line)) return 'GOG_BLOCKED';
      return isRefusalMessage(line) ? 'GOG_REFUSED' : 'GOG_USAGE';
    case GOG_EXIT.AUTH:
      return isScopeMessage(line) ? 'GOG_SCOPE_MISSING' : 'GOG_AUTH_REQUIRED';
    case GOG_EXIT.NOT_FOUND:
      return 'GOG_NOT_FOUND';
    case GOG_EXIT.PERMISSION:
      return isScopeMessage(line) ? 'GOG_SCOPE_MISSING' : 'GOG_PERMISSION_DENIED';
    case GOG_EXIT.RATE_LIMITED:
      return 'GOG_RATE_LIMITED';
    case GOG_EXIT.RETRYABLE:
      return 'GOG_RETRYABLE';
    case GOG_EXIT.CONFIG:
      return 'GOG_CONFIG';
    case GOG_EXIT.CANCELLED:
      return 'GOG_CANCELLED';
    default:
      return 'GOG_FAILED';
  }
}

export interface MessageContext {
  readonly cfg: GogConfig;
  readonly action: string;
  readonly exitCode: number | null;
  readonly line: string;
  readonly attempts: number;
  readonly mutating: boolean;
  readonly detail?: string;
}

const said = (line: string): string => (line ? `: ${line}` : '');

/** The operator-facing message for each error code: what happened, then what to do next. */
export function messageFor(code: GogErrorCode, m: MessageContext): string {
  const { cfg } = m;
  switch (code) {
    case 'GOG_BLOCKED':
      return `gog refused ${m.action}${said(m.line)}. A baked safety profile or gog's no-send setting blocks this command; change the mailwarden policy so it is not offered, or run a gog build whose profile allows it.`;
    case 'GOG_REFUSED':
      return `gog refused ${m.action}${said(m.line)}. Nothing was changed; the proposal asks for something this item does not allow (the message says what), so change its parameters rather than the setup.`;
    case 'GOG_SCOPE_MISSING':
      return `gog's login for ${cfg.account} lacks an OAuth scope ${m.action} needs (exit ${m.exitCode ?? 'unknown'})${said(m.line)}. Re-grant as the service user with GOG_HOME=${cfg.home}: \`gog auth add ${cfg.account} --services gmail,calendar --force-consent\` (read-only scopes suffice for observe_only).`;
    case 'GOG_USAGE':
      return `gog rejected the command line for ${m.action} (exit 2)${said(m.line)}. Check that the installed gog version is supported (\`gog --version\`, see docs/gog-backend.md).`;
    case 'GOG_AUTH_REQUIRED':
      return `gog has no valid login for ${cfg.account}${said(m.line)}; run \`gog auth add ${cfg.account}\` as the service user with GOG_HOME=${cfg.home}.`;
    case 'GOG_NOT_FOUND':
      return `gog found no such item for ${m.action} (exit 5): the message, thread, draft, attachment or event id does not exist in this mailbox.`;
    case 'GOG_PERMISSION_DENIED':
      return `Google denied ${m.action} (exit 6)${said(m.line)}. Re-run \`gog auth add ${cfg.account}\` as the service user granting the Gmail and Calendar scopes, or check the Workspace admin policy.`;
    case 'GOG_RATE_LIMITED':
      return m.mutating
        ? `Google rate-limited ${m.action} (exit 7). It was not retried because a write may already have taken effect; check the mailbox, wait a minute, then submit it again.`
        : `Google rate-limited ${m.action} (exit 7) after ${m.attempts} attempts. Wait a minute and try again, or lower the agent's request rate.`;
    case 'GOG_RETRYABLE':
      return m.mutating
        ? `Google had a temporary error during ${m.action} (exit 8). It was not retried because a write may already have taken effect; check the mailbox before submitting it again.`
        : `Google had a temporary error for ${m.action} (exit 8) after ${m.attempts} attempts. Try again later.`;
    case 'GOG_CONFIG':
      return `gog's configuration is broken (exit 10)${said(m.line)}. Check ${cfg.home}/config/config.json (gog's config under GOG_HOME) and gog's OAuth client credentials (\`gog auth credentials\`).`;
    case 'GOG_CANCELLED':
      return `gog was cancelled during ${m.action}. The action may or may not have happened; check the mailbox before trying again.`;
    case 'GOG_FAILED':
      if (m.exitCode === GOG_EXIT.ORPHANED)
        return `gog reported orphaned items for ${m.action} (exit 11), an answer of its document commands that no mailwarden action asks for; check that the gog binary and version are the supported ones (docs/gog-backend.md).`;
      return `gog failed for ${m.action} (exit ${m.exitCode ?? 'unknown'})${said(m.line)}.`;
    case 'GOG_TIMEOUT':
      return `gog did not finish ${m.action} within ${cfg.timeoutMs} ms and was stopped. Check the host's network access to Google, or raise the gog timeout in the mailwarden config.`;
    case 'GOG_MISSING_BINARY':
      return `cannot run gog at ${cfg.binary} (${m.detail ?? 'spawn failed'}). Install gog there, make it executable for the service user, or fix the gog binary path in the mailwarden config.`;
    case 'GOG_OUTPUT_TOO_LARGE':
      return `gog's output for ${m.action} exceeded ${cfg.maxOutputBytes} bytes and was cut off. Ask for less (a smaller max or a narrower query) or raise the output cap in the mailwarden config.`;
    case 'GOG_BAD_OUTPUT':
      return `gog's output for ${m.action} was not the JSON mailwarden expects (${m.detail ?? 'unexpected shape'}). Check that the installed gog version is supported (docs/gog-backend.md); the output digests are in the evidence.`;
  }
}
