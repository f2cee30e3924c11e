// `mailwarden console`: serves the operator console on loopback until SIGTERM/SIGINT and prints a one-time login link.
import { join } from 'node:path';
import { isLoopback, parseListen, startConsole } from '../console/index.ts';
import { type CliIo, EXIT_OK, loadCliConfig, parse, print, UsageError } from './io.ts';

export async function consoleCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { config: { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:0' } });
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
