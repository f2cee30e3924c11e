// `mailwarden serve`: runs the sidecar in the foreground until SIGTERM/SIGINT, then drains and exits 0.
import { startSidecar } from '../app/index.ts';
import { createLogger } from '../log/index.ts';
import { summarisePosture } from '../posture/index.ts';
import { type CliIo, EXIT_OK, loadCliConfig, parse, print } from './io.ts';
import { VERSION } from './version.ts';

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { config: { type: 'string' } });
  const loaded = loadCliConfig(values.config, io.env);
  const logger = createLogger(loaded.config.log.level);
  // Handlers go in before anything listens: a SIGTERM at any moment after this still ends in a clean stop
  // (sidecar_stopped in evidence, a final checkpoint, sockets removed), never in the default kill.
  let requested: string | null = null;
  let onSignal: (signal: string) => void = (signal) => {
    requested ??= signal;
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  let handle: Awaited<ReturnType<typeof startSidecar>>;
  try {
    handle = await startSidecar(loaded, { logger, version: VERSION });
  } catch (err) {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    throw err;
  }
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      handle.stop().then(
        () => {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          resolve();
        },
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          resolve();
        },
      );
    };
  });
  if (requested !== null) {
    // Asked to stop while starting: stop before announcing anything.
    onSignal(requested);
    await stopped;
    return EXIT_OK;
  }
  print(
    io,
    values.json === true,
    {
      ready: true,
      agentSocket: handle.agentSocket,
      operatorSocket: handle.operatorSocket,
      policy: handle.policy.policy.name,
      version: VERSION,
    },
    () =>
      [
        `mailwarden ${VERSION} ready (policy ${handle.policy.policy.name})`,
        `  agent socket:    ${handle.agentSocket}`,
        `  operator socket: ${handle.operatorSocket}`,
        '  stop with Ctrl-C or SIGTERM',
      ].join('\n'),
  );
  try {
    io.stderr(`${summarisePosture(await handle.posture())}\n`);
  } catch (err) {
    logger.warn({ err }, 'posture could not be determined at start-up');
  }
  await stopped;
  return EXIT_OK;
}
