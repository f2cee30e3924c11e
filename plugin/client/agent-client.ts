// HTTP over the sidecar's agent unix socket: one small client, with timeouts, a body cap and no redirects.
import { request } from 'node:http';
import { isAbsolute } from 'node:path';

export interface AgentClientOptions {
  /** Absolute path of the sidecar's agent socket. */
  readonly socketPath: string;
  readonly agentKey: string;
  /** Default time limit of a request in milliseconds. */
  readonly timeoutMs?: number;
  /** Largest answer body accepted, in bytes. */
  readonly maxBodyBytes?: number;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A transport-level failure: nothing usable came back from the sidecar. */
export interface ClientFailure {
  readonly kind: 'unreachable' | 'timeout' | 'aborted' | 'too_large' | 'not_json';
  readonly message: string;
}

export type RawResponse =
  | { readonly ok: true; readonly httpStatus: number; readonly body: unknown }
  | { readonly ok: false; readonly failure: ClientFailure };

export interface AgentClient {
  readonly socketPath: string;
  request(method: 'GET' | 'POST', path: string, options?: RequestOptions): Promise<RawResponse>;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_KEY_LENGTH = 4096;
// Keys are tokens of visible ASCII: anything else (spaces, newlines) would corrupt the Authorization header.
const PRINTABLE_KEY = /^[\x21-\x7e]+$/;

export function createAgentClient(options: AgentClientOptions): AgentClient {
  // SECURITY: where the plugin connects and which key it sends are fixed here, from the plugin's own
  // configuration; no request argument can change them.
  const socketPath = options.socketPath;
  if (!isAbsolute(socketPath)) {
    throw new TypeError(`socketPath must be an absolute path to the agent socket, got "${socketPath}"`);
  }
  const agentKey = options.agentKey.trim();
  if (agentKey.length === 0 || agentKey.length > MAX_KEY_LENGTH || !PRINTABLE_KEY.test(agentKey)) {
    throw new TypeError('agent key must be 1-4096 visible ASCII characters; check the plugin configuration');
  }
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  // Where the sidecar takes the agent key only for minting (tokens.requireTokens), every call first mints a
  // single-use token from the key; the first TOKEN_REQUIRED answer switches this client over.
  let tokenMode = false;
  const isTokenRequired = (r: RawResponse) =>
    r.ok && r.httpStatus === 401 && (r.body as { error?: { code?: unknown } } | null)?.error?.code === 'TOKEN_REQUIRED';

  async function withToken(method: 'GET' | 'POST', path: string, requestOptions: RequestOptions): Promise<RawResponse> {
    const minted = await send('POST', '/v1/auth/token', agentKey, { ...requestOptions, body: undefined });
    const token =
      minted.ok && minted.httpStatus === 200 ? (minted.body as { token?: unknown } | null)?.token : undefined;
    if (typeof token !== 'string') return minted;
    return send(method, path, token, requestOptions);
  }

  return {
    socketPath,
    request(method, path, requestOptions = {}) {
      // Checked before anything is sent, and thrown at once: a programming error, not an answer.
      if (!path.startsWith('/v1/')) throw new TypeError(`path must start with /v1/, got "${path}"`);
      if (tokenMode) return withToken(method, path, requestOptions);
      return send(method, path, agentKey, requestOptions).then((first) => {
        if (!isTokenRequired(first)) return first;
        tokenMode = true;
        return withToken(method, path, requestOptions);
      });
    },
  };

  function send(
    method: 'GET' | 'POST',
    path: string,
    credential: string,
    requestOptions: RequestOptions,
  ): Promise<RawResponse> {
    const payload = requestOptions.body === undefined ? undefined : Buffer.from(JSON.stringify(requestOptions.body));
    const timeoutMs = requestOptions.timeoutMs ?? defaultTimeout;
    return new Promise<RawResponse>((resolve) => {
      let settled = false;
      const finish = (value: RawResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        requestOptions.signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const fail = (kind: ClientFailure['kind'], message: string) => {
        finish({ ok: false, failure: { kind, message } });
        req.destroy();
      };
      const headers: Record<string, string | number> = {
        authorization: `Bearer ${credential}`,
        accept: 'application/json',
      };
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = request({ socketPath, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) {
            fail('too_large', `the sidecar's answer exceeded ${maxBodyBytes} bytes`);
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => fail('unreachable', `the connection broke while reading the answer: ${err.message}`));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            finish({
              ok: false,
              failure: { kind: 'not_json', message: `the sidecar answered HTTP ${res.statusCode} without JSON` },
            });
            return;
          }
          finish({ ok: true, httpStatus: res.statusCode ?? 0, body });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const hint =
          err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? ' (is the mailwarden sidecar running, and is socketPath right?)'
            : err.code === 'EACCES'
              ? ' (the agent user may not open the socket; check its permissions)'
              : '';
        fail('unreachable', `cannot reach the mailwarden sidecar at ${socketPath}: ${err.code ?? err.message}${hint}`);
      });
      const timer = setTimeout(
        () => fail('timeout', `the sidecar did not answer within ${Math.round(timeoutMs / 1000)} s`),
        timeoutMs,
      );
      const onAbort = () => fail('aborted', 'the call was cancelled before the sidecar answered');
      if (requestOptions.signal?.aborted) {
        onAbort();
        return;
      }
      requestOptions.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(payload);
    });
  }
}
