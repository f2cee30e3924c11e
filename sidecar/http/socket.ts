// Listens on a unix socket with a restrictive mode from the first instant, and handles stale socket files.
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
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

export async function listenOnSocket(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  path: string,
  mode: number,
  gid?: number,
): Promise<SocketListener> {
  await clearStale(path);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.keepAliveTimeout = 5000;
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
