// The one place where errors become HTTP answers: a stable body, no stacks, a next step in every message.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_STATUS, type ErrorCode, httpStatusOf } from '../../shared/index.ts';
import { MailwardenError } from '../errors.ts';
import { isBusyError, isSqliteError, storageErrorCode } from '../state/index.ts';

/** An error answered as is: its HTTP status comes from the shared error vocabulary. */
export class HttpError extends MailwardenError<ErrorCode> {
  override readonly name = 'HttpError';
  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export function errorBody(code: string, message: string, correlationId: string) {
  return { error: { code, message, correlationId } };
}

/**
 * A storage failure as a fail-closed 503 that names the store and the fix. SQLite errors are the state
 * database's; a bare file system errno outside SQLite is the evidence log's (the only other store written).
 */
export function storageFailureBody(err: unknown, code: string, correlationId: string) {
  const state = isSqliteError(err);
  const full = code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
  const what = full ? 'its file system is full' : `it failed with ${code}`;
  return state
    ? errorBody(
        'STATE_UNAVAILABLE',
        `the state database cannot be written (${what}); nothing was done. Free space on the file system of paths.stateDir (or fix the disk error) and retry`,
        correlationId,
      )
    : errorBody(
        'EVIDENCE_UNAVAILABLE',
        `the evidence log cannot be written (${what}); nothing was done. Free space on the file system of paths.evidenceDir (or fix the disk error) and retry`,
        correlationId,
      );
}

export function toErrorResponse(c: Context, err: unknown, log: (err: unknown) => void): Response {
  const correlationId = (c.get('correlationId' as never) as string | undefined) ?? 'none';
  if (err instanceof HttpError) return c.json(errorBody(err.code, err.message, correlationId), err.status);
  // Hono's own body parsing (the JSON validator) refuses a malformed body this way.
  if (err instanceof HTTPException && err.status === 400) {
    return c.json(errorBody('INVALID_JSON', 'the request body is not valid JSON', correlationId), 400);
  }
  if (err instanceof MailwardenError && !(httpStatusOf(err.code) === 500 && storageErrorCode(err) !== null)) {
    const status = httpStatusOf(err.code);
    if (status >= 500) log(err);
    return c.json(errorBody(err.code, err.message, correlationId), status);
  }
  const storage = storageErrorCode(err);
  if (storage !== null) {
    log(err);
    return c.json(storageFailureBody(err, storage, correlationId), 503);
  }
  if (isBusyError(err)) {
    return c.json(
      errorBody(
        'STATE_BUSY',
        'the state database is locked by another process; nothing was done, retry in a moment',
        correlationId,
      ),
      503,
    );
  }
  log(err);
  return c.json(
    errorBody(
      'INTERNAL',
      'mailwarden hit an internal error; nothing further was done. The operator can find details in the sidecar log under this correlation id',
      correlationId,
    ),
    500,
  );
}
