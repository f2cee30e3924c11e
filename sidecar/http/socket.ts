// Listens on a unix socket with a restrictive mode from the first instant, and handles stale socket files.
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { MailwardenError } from '../errors.ts';

export interface SocketListener {
  readonly path: string;
  readonly server: Server;
  close(): Promise<void>;
}

export class SocketError extends MailwardenError<'SOCKET_IN_USE' | 'SOCKET_PATH_TAKEN' | 'SOCKET_LISTEN_FAILED'> {
  override readonly name = 'SocketError';
}

async function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function clearStale(path: string): Promise<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) {
    throw new SocketError(
      'SOCKET_PATH_TAKEN',
      `${path} exists and is not a socket; move it away or choose another paths.runtimeDir`,
    );
  }
  if (await isAlive(path)) {
    throw new SocketError(
      'SOCKET_IN_USE',
      `another process is listening on ${path}; stop it first (is a mailwarden sidecar already running?)`,
    );
  }
  unlinkSync(path);
}

/**
 * Requests Node's HTTP parser refuses never reach the app; they still get the documented JSON error body
 * (a bare 400/431 without a body would be the only answer of another shape).
 */
/** How long a refused connection keeps reading what its client still sends before it is dropped. */
const LINGER_MS = 2_000;

/**
 * Connections already answered. Node's parser stays in its error state and reports the same error again for
 * every later piece the client sends; answering (or destroying) again would reset the connection and throw
 * away the answer before the client has read it.
 */
const answered = new WeakSet<Socket>();

function answerRaw(socket: Socket, status: number, reason: string, code: string, message: string): void {
  answered.add(socket);
  const body = JSON.stringify({ error: { code, message, correlationId: randomUUID() } });
  // Lingering close: keep reading (and discarding) what the client is still sending, so the close after the
  // answer cannot turn into a reset that throws the answer away before the client reads it.
  socket.resume();
  socket.setTimeout(LINGER_MS, () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function answerClientError(err: NodeJS.ErrnoException & { bytesParsed?: number }, socket: Socket): void {
  if (answered.has(socket)) return;
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = tooLarge ? 431 : timeout ? 408 : 400;
  const reason = tooLarge ? 'Request Header Fields Too Large' : timeout ? 'Request Timeout' : 'Bad Request';
  const code = tooLarge ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
  const message = tooLarge
    ? 'the request headers are larger than the server accepts (16 KiB); send fewer or shorter headers'
    : timeout
      ? 'the request was not completed in time; send it again in one go'
      : `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'}); fix the request line, headers or body framing`;
  answerRaw(socket, status, reason, code, message);
}

export async function listenOnSocket(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  path: string,
  mode: number,
  gid?: number,
): Promise<SocketListener> {
  await clearStale(path);
  const server = createAdaptorServer({
    fetch: app.fetch,
    // A request target that is not a path ("*", "http://…") cannot become a URL for the app; it gets the
    // JSON error body here instead of the adapter's bare 400.
    createServer: ((opts: object, listener: RequestListener) =>
      // Host means nothing on a unix socket; without this Node answers a request lacking it with a bare 400.
      createServer({ ...opts, requireHostHeader: false }, (req: IncomingMessage, res: ServerResponse) => {
        if (req.url?.startsWith('/')) {
          req.headers.host ??= 'localhost';
          return listener(req, res);
        }
        const body = JSON.stringify({
          error: {
            code: 'BAD_REQUEST',
            message: 'the request target must be a path starting with "/"',
            correlationId: randomUUID(),
          },
        });
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      })) as never,
  }) as Server;
  server.keepAliveTimeout = 5000;
  server.on('clientError', answerClientError);
  // CONNECT never reaches the app (Node hands the raw socket over); it gets the same 404 as any unknown route.
  server.on('connect', (req: { method?: string; url?: string }, socket: Socket) => {
    socket.on('error', () => undefined);
    answerRaw(socket, 404, 'Not Found', 'NOT_FOUND', `no route CONNECT ${req.url ?? ''} on this socket`);
  });
  // SECURITY: create the socket with no group/other access, then widen to the configured mode,
  // so there is no instant in which it is more open than intended.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw new SocketError('SOCKET_LISTEN_FAILED', `cannot listen on ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    process.umask(previous);
  }
  if (gid !== undefined) chownSync(path, -1, gid);
  chmodSync(path, mode);
  return {
    path,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
          resolve();
        });
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
