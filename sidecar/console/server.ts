// Runs the console: binds the HTTP server (loopback unless told otherwise) and wires sessions and operator.sock.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { readPasskeyCredential } from '../approval/index.ts';
import { callOperator } from '../cli/index.ts';
import { type LoadedConfig, loadConfig } from '../config/index.ts';
import { MailwardenError } from '../errors.ts';
import { createConsoleApp } from './app.ts';
import { loadConsoleAssets } from './assets.ts';
import type { EnrolledPasskey } from './passkeys.ts';
import { createSessionStore } from './sessions.ts';

export class ConsoleError extends MailwardenError<'CONSOLE_LISTEN_FAILED'> {
  override readonly name = 'ConsoleError';
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface ConsoleHandle {
  /** The console's address, e.g. http://127.0.0.1:43111/ */
  readonly url: string;
  /** Prints a fresh one-time login link. */
  newLoginUrl(): string;
  close(): Promise<void>;
}

/** Parses HOST:PORT or [IPv6]:PORT; port 0 picks a free port. */
export function parseListen(value: string): ListenAddress | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(value) ?? /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!m) return null;
  const port = Number(m[2]);
  return port <= 65535 ? { host: m[1]!, port } : null;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Is `x` the Ed25519 public key that approver `id` has in the config right now? */
function enrolmentOf(configFile: string, id: string, x: string): { configured: boolean; matches: boolean } {
  let entry: { publicKey?: string | undefined } | undefined;
  try {
    entry = loadConfig(configFile).config.approvals.approvers.find((a) => a.id === id);
  } catch {
    return { configured: false, matches: false };
  }
  if (!entry?.publicKey) return { configured: entry !== undefined, matches: false };
  try {
    const jwk = createPublicKey(readFileSync(entry.publicKey)).export({ format: 'jwk' });
    return { configured: true, matches: jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x === x };
  } catch {
    return { configured: true, matches: false };
  }
}

/** The passkeys enrolled in the config right now; an unreadable one is left out (the sidecar reports it). */
function enrolledPasskeys(configFile: string): EnrolledPasskey[] {
  let approvers: { id: string; webauthn?: string | undefined }[];
  try {
    approvers = loadConfig(configFile).config.approvals.approvers;
  } catch {
    return [];
  }
  return approvers.flatMap((a) => {
    if (!a.webauthn) return [];
    try {
      const cred = readPasskeyCredential(a.webauthn);
      return [{ approver: a.id, credentialId: cred.credentialId, rpId: cred.rpId, origins: cred.origins }];
    } catch {
      return [];
    }
  });
}

export async function startConsole(
  loaded: LoadedConfig,
  listen: ListenAddress,
  opts: {
    operatorSocket: string;
    now?: () => number;
    logError?: (err: unknown) => void;
    /** An extra origin the console is reached under, e.g. https://host.tailnet.example through a TLS tunnel. */
    origin?: string;
  },
): Promise<ConsoleHandle> {
  const sessionMaxAgeSeconds = 8 * 3600;
  const sessions = createSessionStore({
    absoluteTtlMs: sessionMaxAgeSeconds * 1000,
    ...(opts.now ? { now: opts.now } : {}),
  });
  let boundHost = '';
  let boundPort = 0;
  const app = createConsoleApp({
    sessions,
    operator: (method, path, body) => callOperator(opts.operatorSocket, method, path, body),
    host: () => boundHost,
    assets: loadConsoleAssets(),
    configFile: loaded.file,
    account: loaded.config.gog.account,
    approvers: () => {
      try {
        return loadConfig(loaded.file).config.approvals.approvers.map((a) => a.id);
      } catch {
        return loaded.config.approvals.approvers.map((a) => a.id);
      }
    },
    enrolment: (id, x) => enrolmentOf(loaded.file, id, x),
    extraOrigins: () => [
      // Passkeys need a host name: a console bound to a loopback address also answers as localhost.
      ...(isLoopback(listen.host) && listen.host !== 'localhost' ? [`http://localhost:${boundPort}`] : []),
      ...(opts.origin ? [opts.origin] : []),
    ],
    passkeys: () => enrolledPasskeys(loaded.file),
    sessionMaxAgeSeconds,
    ...(opts.logError ? { logError: opts.logError } : {}),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ConsoleError(
          'CONSOLE_LISTEN_FAILED',
          `cannot listen on ${listen.host}:${listen.port} (${err.code ?? err.message}); choose another --listen`,
        ),
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  boundPort = port;
  // Browsers leave the default port out of Host, so on port 80 the host alone is what they send.
  boundHost = port === 80 ? hostForUrl(listen.host) : `${hostForUrl(listen.host)}:${port}`;
  const url = `http://${boundHost}/`;
  return {
    url,
    newLoginUrl: () => `${url}login?token=${sessions.issueLoginToken()}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open keep-alive connections would hold close() until they time out.
        if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') {
          server.closeAllConnections();
        }
      }),
  };
}
