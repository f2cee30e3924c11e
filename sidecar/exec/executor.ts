// The gog executor: plan, spawn, map exit codes, retry reads, parse and normalise the output.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import {
  ACTION_CLASS,
  ACTION_RESULT_SCHEMAS,
  type ActionName,
  ActionParamSchemas,
  type ActionParams,
  describeIssue,
  sha256Digest,
} from '../../shared/index.ts';
import { attachmentsRoot } from './argv.ts';
import { readGogDraft } from './draft-reader.ts';
import { codeForExit, GOG_EXIT, gogErrorLine, type MessageContext, messageFor } from './exit-codes.ts';
import { GogPlanError, normaliseOutput, planGogCall } from './plan.ts';
import { type ProcessResult, runProcess } from './run-process.ts';
import type { GogConfig, GogErrorCode, GogExecutor, GogOutcome, GogRunInfo } from './types.ts';

export interface GogExecutorDeps {
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Bounded retry for reads only: 3 attempts, backoff 500 ms then 1 s. */
export const READ_ATTEMPTS = 3;
export const BACKOFF_BASE_MS = 500;

const RETRY_CODES: ReadonlySet<number> = new Set([GOG_EXIT.RATE_LIMITED, GOG_EXIT.RETRYABLE]);

export function isReadAction(action: ActionName): boolean {
  return ACTION_CLASS[action] === 'read';
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function failure(code: GogErrorCode, ctx: MessageContext, info: GogRunInfo): GogOutcome {
  return { ok: false, code, message: messageFor(code, ctx), info };
}

/** gog ran a mutating command and did not finish cleanly: whether its change was made is unknown. */
function maybeRan(mutating: boolean, outcome: GogOutcome): GogOutcome {
  return mutating && !outcome.ok ? { ...outcome, mayHaveRun: true } : outcome;
}

export function createGogExecutor(cfg: GogConfig, deps: GogExecutorDeps = {}): GogExecutor {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;

  async function runWithRetry(
    action: ActionName,
    argv: readonly string[],
    stdin: string | undefined,
    signal: AbortSignal | undefined,
    keyringPassword: string | undefined,
  ): Promise<{ res: ProcessResult; attempts: number }> {
    const maxAttempts = isReadAction(action) ? READ_ATTEMPTS : 1;
    let attempts = 0;
    for (;;) {
      attempts++;
      const res = await runProcess(cfg, argv, stdin, signal, keyringPassword);
      const retry = res.kind === 'exited' && res.exitCode !== null && RETRY_CODES.has(res.exitCode);
      // INVARIANT: a mutating action runs at most once; a write that timed out or failed may have happened.
      if (!retry || attempts >= maxAttempts || signal?.aborted) return { res, attempts };
      await sleep(BACKOFF_BASE_MS * 2 ** (attempts - 1));
    }
  }

  async function executeOnce(
    action: ActionName,
    rawParams: unknown,
    signal?: AbortSignal,
    callCfg: GogConfig = cfg,
  ): Promise<GogOutcome> {
    const started = now();
    const mutating = !isReadAction(action);
    const blankInfo = (attempts: number, res?: ProcessResult): GogRunInfo => ({
      exitCode: res?.exitCode ?? null,
      durationMs: now() - started,
      stdoutDigest: sha256Digest(res?.stdout ?? ''),
      stderrDigest: sha256Digest(res?.stderr ?? ''),
      attempts,
    });
    const ctxOf = (extra: Partial<MessageContext> = {}): MessageContext => ({
      cfg,
      action,
      exitCode: null,
      line: '',
      attempts: 0,
      mutating,
      ...extra,
    });

    const parsed = ActionParamSchemas[action].safeParse(rawParams);
    if (!parsed.success) {
      const detail = `invalid ${describeIssue(parsed.error, { root: 'params' }).message}`;
      return {
        ok: false,
        code: 'GOG_USAGE',
        message: `mailwarden did not run gog for ${action}: ${detail}.`,
        info: blankInfo(0),
      };
    }
    let params: ActionParams<ActionName> = parsed.data;
    if (action === 'gmail.drafts.update') {
      const filled = await completeDraftUpdate(parsed.data as ActionParams<'gmail.drafts.update'>, signal);
      if (!filled.ok) return { ok: false, code: filled.code, message: filled.message, info: blankInfo(1) };
      params = filled.params;
    }
    let plan: ReturnType<typeof planGogCall>;
    try {
      plan = planGogCall(action, params, callCfg);
    } catch (e) {
      if (!(e instanceof GogPlanError)) throw e;
      return {
        ok: false,
        code: 'GOG_USAGE',
        message: `mailwarden did not run gog for ${action}: ${e.message}.`,
        info: blankInfo(0),
      };
    }

    let keyringPassword: string | undefined;
    if (cfg.keyringPasswordFile !== undefined) {
      try {
        keyringPassword = (await readFile(cfg.keyringPasswordFile, 'utf8')).replace(/\r?\n$/, '');
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? 'unreadable';
        return failure(
          'GOG_CONFIG',
          ctxOf({ line: `cannot read the keyring password file ${cfg.keyringPasswordFile} (${why})` }),
          blankInfo(0),
        );
      }
    }
    const { res, attempts } = await runWithRetry(action, plan.argv, plan.stdin, signal, keyringPassword);
    const info = blankInfo(attempts, res);
    const line = gogErrorLine(res.stderr.toString('utf8'));
    switch (res.kind) {
      case 'spawn_error':
        return failure('GOG_MISSING_BINARY', ctxOf({ detail: res.spawnErrorCode ?? 'spawn failed' }), info);
      case 'timeout':
        return maybeRan(mutating, failure('GOG_TIMEOUT', ctxOf(), info));
      case 'too_large':
        return maybeRan(mutating, failure('GOG_OUTPUT_TOO_LARGE', ctxOf(), info));
      case 'aborted':
        return maybeRan(mutating, failure('GOG_CANCELLED', ctxOf(), info));
      case 'exited':
        break;
    }
    if (res.exitCode !== GOG_EXIT.OK) {
      if (res.exitCode === null)
        return maybeRan(
          mutating,
          failure('GOG_FAILED', ctxOf({ line: `killed by ${res.signal ?? 'a signal'}` }), info),
        );
      const code = codeForExit(res.exitCode, line);
      return failure(code, ctxOf({ exitCode: res.exitCode, line, attempts }), info);
    }

    // gog lists several calendars one by one and only logs a calendar that failed ("calendar ID: error"),
    // still exiting 0; a list missing a calendar must not pass for a complete one.
    if (action === 'calendar.events') {
      const failedCalendars = res.stderr
        .toString('utf8')
        .split(/\r?\n/)
        .map((l) => /^calendar (\S+): (.+)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null);
      if (failedCalendars.length > 0) {
        const named = failedCalendars.map((m) => `${m[1]} (${gogErrorLine(m[2] ?? '')})`).join(', ');
        return failure(
          'GOG_FAILED',
          ctxOf({
            exitCode: 0,
            line: `gog could not list calendar ${named}; the other calendars were listed, so the result would be incomplete and none is returned. Check access to that calendar or leave it out of calendarIds`,
          }),
          info,
        );
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(res.stdout.toString('utf8'));
    } catch {
      return maybeRan(mutating, failure('GOG_BAD_OUTPUT', ctxOf({ detail: 'stdout is not JSON' }), info));
    }
    let result: unknown;
    try {
      result = normaliseOutput(action, parsed.data, json);
      if (action === 'gmail.attachment') result = await finishAttachment(parsed.data, result, signal);
      // INVARIANT: what leaves the executor has the contract's result shape.
      const checked = ACTION_RESULT_SCHEMAS[action].safeParse(result);
      if (!checked.success) throw new Error(`normalised result does not match the ${action} result shape`);
    } catch (e) {
      const detail = e instanceof Error ? e.message : 'unexpected output';
      return maybeRan(mutating, failure('GOG_BAD_OUTPUT', ctxOf({ detail: detail.slice(0, 300) }), info));
    }
    return { ok: true, result, info: { ...info, durationMs: now() - started } };
  }

  /**
   * gog rebuilds a draft from the flags of `drafts update` alone (only To survives when left out), so a field
   * the proposal leaves out is filled from the draft as gog holds it; otherwise cc, bcc, subject or body
   * would silently be dropped, and an update without a body is refused by gog.
   */
  async function completeDraftUpdate(
    p: ActionParams<'gmail.drafts.update'>,
    signal?: AbortSignal,
  ): Promise<
    { ok: true; params: ActionParams<'gmail.drafts.update'> } | { ok: false; code: GogErrorCode; message: string }
  > {
    const fields = ['to', 'cc', 'bcc', 'subject', 'body'] as const;
    if (fields.every((f) => p[f] !== undefined)) return { ok: true, params: p };
    const read = await readGogDraft(cfg, p.draftId, signal);
    if (!read.ok) return read;
    const d = read.draft;
    return {
      ok: true,
      params: {
        ...p,
        to: p.to ?? d.to,
        cc: p.cc ?? d.cc,
        bcc: p.bcc ?? d.bcc,
        subject: p.subject ?? d.subject,
        body: p.body ?? d.body,
      },
    };
  }

  /**
   * gog writes an attachment to the file we named; read it back (inside the gog home only), then
   * look its metadata up with one `gmail get` and remove the file.
   */
  async function finishAttachment(params: unknown, written: unknown, signal?: AbortSignal): Promise<unknown> {
    const p = params as { messageId: string; attachmentId: string };
    const w = written as { path: string; bytes: number };
    const rel = relative(cfg.home, w.path);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error('gog wrote the attachment outside its home');
    let data: Buffer;
    try {
      data = await readFile(w.path);
    } finally {
      await rm(w.path, { force: true });
    }
    const meta = {
      attachmentId: p.attachmentId,
      filename: '',
      mimeType: 'application/octet-stream',
      size: data.length,
    };
    const got = await execute('gmail.get', { messageId: p.messageId }, signal);
    if (got.ok) {
      const message = (got.result as { message: { attachments: (typeof meta)[] } }).message;
      const found = message.attachments.find((a) => a.attachmentId === p.attachmentId);
      if (found) Object.assign(meta, { filename: found.filename, mimeType: found.mimeType });
    }
    return { attachment: { ...meta, messageId: p.messageId, dataBase64: data.toString('base64') } };
  }

  async function execute<A extends ActionName>(
    action: A,
    rawParams: ActionParams<A>,
    signal?: AbortSignal,
  ): Promise<GogOutcome> {
    if (action !== 'gmail.attachment') return executeOnce(action, rawParams, signal);
    // Each attachment read gets a folder of its own: two reads of the same attachment at once must not
    // write, read or delete each other's file.
    const callDir = randomUUID();
    const dir = join(attachmentsRoot(cfg.home), callDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      return await executeOnce(action, rawParams, signal, { ...cfg, attachmentCallDir: callDir });
    } finally {
      // The file gog wrote must not outlive the call, whatever happened to it.
      await rm(dir, { recursive: true, force: true });
    }
  }

  return { execute, readDraft: (draftId, signal) => readGogDraft(cfg, draftId, signal) };
}
