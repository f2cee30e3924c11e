// `mailwarden console`: serves the operator console on loopback until SIGTERM/SIGINT and prints a one-time login link.
import { join } from 'node:path';
import { isLoopback, parseListen, startConsole } from '../console/index.ts';
import { type CliIo, EXIT_OK, loadCliConfig, parse, print, UsageError } from './io.ts';

/**
 * --origin: the address a tunnel gives the console (e.g. https://laptop.tailnet.example). HTTPS only, except for
 * localhost (an SSH tunnel's local end), because the session cookie and the passkey's origin travel with it.
 */
function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--origin ${value}: must be an origin such as https://laptop.tailnet.example`);
  }
  const local = url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) {
    throw new UsageError(`--origin ${value}: must be https:// (plain http only for localhost)`);
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new UsageError(`--origin ${value}: an origin has no path, query or user, e.g. ${url.origin}`);
  }
  return url.origin;
}

export async function consoleCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    config: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    origin: { type: 'string' },
  });
  const origin = values.origin === undefined ? undefined : parseOrigin(values.origin);
  const listen = parseListen(values.listen);
  if (!listen) throw new UsageError(`--listen ${values.listen}: must be HOST:PORT or [IPv6]:PORT, e.g. 127.0.0.1:8470`);
  const loaded = loadCliConfig(values.config, io.env);
  if (!isLoopback(listen.host)) {
    // SECURITY: plain HTTP off loopback exposes the session cookie and, in browsers, disables WebCrypto signing.
    io.stderr(
      `mailwarden: warning: the console listens on ${listen.host}, not loopback; it speaks plain HTTP, so put it behind TLS or an SSH tunnel\n`,
    );
  }
  const handle = await startConsole(loaded, listen, {
    operatorSocket: join(loaded.config.paths.runtimeDir, 'operator.sock'),
    ...(origin ? { origin } : {}),
    logError: (err) =>
      io.stderr(`mailwarden console: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
  });
  const loginUrl = handle.newLoginUrl();
  print(io, values.json === true, { url: handle.url, loginUrl }, () =>
    [
      `mailwarden console at ${handle.url}`,
      `  log in once with: ${loginUrl}`,
      '  (the link works once and expires in 15 minutes; `kill -USR2` this process for a new one; stop with Ctrl-C or SIGTERM)',
    ].join('\n'),
  );
  // A lost or used link needs no restart: SIGUSR2 prints a fresh one.
  const newLink = () => {
    const next = handle.newLoginUrl();
    print(io, values.json === true, { loginUrl: next }, () => `  new login link: ${next}`);
  };
  process.on('SIGUSR2', newLink);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGUSR2', newLink);
      handle.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return EXIT_OK;
}
