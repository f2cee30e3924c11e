// pino to stderr; every path that could carry a secret or mail content is redacted in one list.
import pino, { type Logger } from 'pino';

// SECURITY: one list. Add a path here whenever a new field may carry a key, a body or an address.
export const REDACT_PATHS = [
  'key',
  'agentKey',
  'token',
  'jws',
  'secret',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'params.body',
  'params.to',
  'params.cc',
  'params.bcc',
  'params.subject',
  'body',
  'result',
  '*.key',
  '*.agentKey',
  '*.token',
  '*.jws',
  '*.secret',
  '*.body',
  '*.authorization',
];

/** Logs go to stderr (fd 2) unless a stream is given; stdout stays free for command output. */
export function createLogger(level: string, stream?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: 'mailwarden' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    stream ?? pino.destination({ dest: 2, sync: true }),
  );
}

export type { Logger };
