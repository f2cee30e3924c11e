// The one place where errors become HTTP answers: a stable body, no stacks, a next step in every message.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { MailwardenError } from '../errors.ts';
import { isBusyError } from '../state/index.ts';

export class HttpError extends MailwardenError<string> {
  override readonly name = 'HttpError';
  readonly status: ContentfulStatusCode;
  constructor(status: ContentfulStatusCode, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  INVALID_INPUT: 400,
  INVALID_JSON: 400,
  NOT_FOUND: 404,
  NOT_PENDING: 409,
  EVIDENCE_UNAVAILABLE: 503,
  POLICY_EVALUATION_FAILED: 500,
  STATE_TAMPERED: 500,
  APPROVAL_REFUSED: 403,
  STATE_BUSY: 503,
  EVIDENCE_TAMPERED: 500,
};

export function errorBody(code: string, message: string, correlationId: string) {
  return { error: { code, message, correlationId } };
}

export function toErrorResponse(c: Context, err: unknown, log: (err: unknown) => void): Response {
  const correlationId = (c.get('correlationId' as never) as string | undefined) ?? 'none';
  if (err instanceof HttpError) return c.json(errorBody(err.code, err.message, correlationId), err.status);
  if (err instanceof MailwardenError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    if (status >= 500) log(err);
    return c.json(errorBody(err.code, err.message, correlationId), status);
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
