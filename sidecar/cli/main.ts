// The `mailwarden` command: dispatch, exit codes (0 ok, 1 failed check, 2 usage), errors without stacks.
import { createInterface } from 'node:readline/promises';
import { MailwardenError } from '../errors.ts';
import { commandHelp, isCommandName } from './help.ts';
import { CheckFailed, type CliIo, ConfigMissing, EXIT_CHECK_FAILED, EXIT_USAGE, UsageError } from './io.ts';
import { VERSION } from './version.ts';

const USAGE = `mailwarden ${VERSION} — a governance boundary between AI agents and Gmail/Calendar

usage:
  mailwarden init --dir DIR [--backend fake|gog] [--profile NAME] [--json]
  mailwarden serve --config FILE
  mailwarden list [--status STATUS] [--limit N] [--cursor C] | show ID
  mailwarden approve ID | reject ID [--key FILE] [--approver ID] [--yes]
  mailwarden lockdown on|off [--reason TEXT] [--principal AGENT]
  mailwarden posture
  mailwarden evidence verify [--proposal ID] [--checkpoints DIR] [--state FILE]
  mailwarden evidence acknowledge-gap ID --reason TEXT [--key FILE] [--approver ID]
  mailwarden policy check FILE | policy explain FILE ACTION PARAMS_JSON
  mailwarden keygen [--out DIR] [--name NAME] | keygen --agent
  mailwarden console [--listen HOST:PORT] [--origin https://NAME]
  mailwarden approver add --id ID (--public-key FILE | --jwk JSON | --webauthn JSON) | approver list

Every command takes --json; commands that need a setup take --config FILE
(default: $MAILWARDEN_CONFIG, then ./mailwarden.yaml).
\`mailwarden COMMAND --help\` shows a command's flags and an example.`;

export function processIo(): CliIo {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    env: process.env,
    confirm: async (question) => {
      if (process.stdin.isTTY !== true) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim());
      } finally {
        rl.close();
      }
    },
  };
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...args] = argv;
  try {
    // Help comes before anything a command checks or loads, so it works without a setup.
    if (isCommandName(command) && args.some((a) => a === '--help' || a === '-h')) {
      io.stdout(`${commandHelp(command)}\n`);
      return 0;
    }
    if (command === 'help' && args[0] !== undefined) {
      if (!isCommandName(args[0])) throw new UsageError(`no command "${args[0]}"`);
      io.stdout(`${commandHelp(args[0])}\n`);
      return 0;
    }
    // Each command's modules load when it runs: `mailwarden list` does not pay for the sidecar, the console
    // or the evidence verifier.
    switch (command) {
      case 'init':
        return await (await import('./init.ts')).initCommand(args, io);
      case 'serve':
        return await (await import('./serve.ts')).serveCommand(args, io);
      case 'list':
        return await (await import('./operator-commands.ts')).listCommand(args, io);
      case 'show':
        return await (await import('./operator-commands.ts')).showCommand(args, io);
      case 'approve':
        return await (await import('./operator-commands.ts')).decideCommand('approve', args, io);
      case 'reject':
        return await (await import('./operator-commands.ts')).decideCommand('reject', args, io);
      case 'lockdown':
        return await (await import('./operator-commands.ts')).lockdownCommand(args, io);
      case 'posture':
        return await (await import('./operator-commands.ts')).postureCommand(args, io);
      case 'evidence':
        return await (await import('./evidence-command.ts')).evidenceCommand(args, io);
      case 'policy':
        return await (await import('./policy-commands.ts')).policyCommand(args, io);
      case 'keygen':
        return await (await import('./keygen.ts')).keygenCommand(args, io);
      case 'console':
        return await (await import('./console.ts')).consoleCommand(args, io);
      case 'approver':
        return await (await import('./approver.ts')).approverCommand(args, io);
      case '--version':
      case 'version':
        io.stdout(`${VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.stdout(`${USAGE}\n`);
        return command === undefined ? EXIT_USAGE : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    const json = argv.includes('--json');
    const code = err instanceof MailwardenError ? err.code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    if (json) io.stdout(`${JSON.stringify({ error: { code, message } })}\n`);
    io.stderr(`mailwarden: ${message}\n`);
    if (err instanceof UsageError) {
      io.stderr(`run \`mailwarden ${isCommandName(command) ? `${command} ` : ''}--help\` for usage\n`);
      return EXIT_USAGE;
    }
    // Nothing was done without a readable setup; like a usage error, the fix is in how it was called.
    if (err instanceof ConfigMissing) return EXIT_USAGE;
    if (err instanceof CheckFailed) return EXIT_CHECK_FAILED;
    if (!(err instanceof MailwardenError)) io.stderr(`${(err as Error).stack ?? ''}\n`);
    return EXIT_CHECK_FAILED;
  }
}
