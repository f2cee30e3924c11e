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
  const handle = await startSidecar(loaded, { logger, version: VERSION });
  // The signal handlers go in before "ready" is printed: a SIGTERM right after it must drain, not kill.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      handle.stop().then(resolve, (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        resolve();
      });
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
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
