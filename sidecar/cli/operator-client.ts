// A small HTTP client for operator.sock, used by the operator commands.
import { request } from 'node:http';
import { MailwardenError } from '../errors.ts';

export class OperatorClientError extends MailwardenError<'SIDECAR_UNREACHABLE' | 'SIDECAR_ERROR'> {
  override readonly name = 'OperatorClientError';
  readonly status: number;
  constructor(code: 'SIDECAR_UNREACHABLE' | 'SIDECAR_ERROR', message: string, status = 0) {
    super(code, message);
    this.status = status;
  }
}

export async function callOperator(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {},
        timeout: 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown });
          } catch {
            reject(
              new OperatorClientError(
                'SIDECAR_ERROR',
                `the sidecar answered ${res.statusCode} with a body that is not JSON`,
                res.statusCode ?? 0,
              ),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) =>
      reject(
        new OperatorClientError(
          'SIDECAR_UNREACHABLE',
          `cannot reach the sidecar at ${socketPath} (${(err as NodeJS.ErrnoException).code ?? err.message}); is \`mailwarden serve\` running, and may this user open the operator socket?`,
        ),
      ),
    );
    if (payload) req.write(payload);
    req.end();
  });
}

/** The contract's error body, turned into one line for the terminal. */
export function errorLine(json: unknown): string {
  if (json && typeof json === 'object' && 'error' in json) {
    const e = (json as { error: { code?: string; message?: string } }).error;
    return `${e.code ?? 'ERROR'}: ${e.message ?? ''}`;
  }
  return JSON.stringify(json);
}
