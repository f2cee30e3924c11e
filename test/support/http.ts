// A raw HTTP client over unix sockets for socket-level tests (no product code in between).
import { type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: unknown;
}

export function call(
  socketPath: string,
  method: string,
  path: string,
  opts: {
    key?: string;
    body?: unknown;
    rawBody?: string | Buffer;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<RawResponse> {
  const payload =
    opts.rawBody !== undefined
      ? Buffer.from(opts.rawBody)
      : opts.body !== undefined
        ? Buffer.from(JSON.stringify(opts.body))
        : undefined;
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (payload) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers }, (res) => {
      readResponse(res).then(resolve, reject);
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Reads a whole answer: status, headers, text, and the JSON if the text is JSON (null otherwise). */
export function readResponse(res: IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
    });
  });
}

/**
 * Raw bytes over a unix socket, read until the server closes (the requests say Connection: close). The socket
 * is not half-closed: Node's server may drop a half-closed connection before a slow answer. `pieces` > 1 sends
 * the bytes in that many writes 5 ms apart. After `quietMs` of silence the socket is dropped and whatever
 * arrived is returned ("" when nothing did: closed without an answer).
 */
export function sendRaw(
  socketPath: string,
  bytes: Buffer,
  opts: { readonly quietMs?: number; readonly pieces?: number } = {},
): Promise<string> {
  const { quietMs = 20_000, pieces = 1 } = opts;
  return new Promise((resolve) => {
    const s = connect(socketPath);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.setTimeout(quietMs, () => s.destroy());
    const size = Math.ceil(bytes.length / pieces);
    let at = 0;
    const more = () => {
      if (at >= bytes.length || s.destroyed) return;
      s.write(bytes.subarray(at, at + size));
      at += size;
      if (at < bytes.length) setTimeout(more, 5);
    };
    more();
  });
}
