// Shared plumbing of the CLI: argument parsing, exit codes, output in text or JSON.
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type LoadedConfig, loadConfig } from '../config/index.ts';
import { MailwardenError } from '../errors.ts';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

export class UsageError extends MailwardenError<'USAGE'> {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A check that did not pass (tampered evidence, posture not ready, a refused approval): exit 1. */
export class CheckFailed extends MailwardenError<'CHECK_FAILED'> {
  override readonly name = 'CheckFailed';
  constructor(message: string) {
    super('CHECK_FAILED', message);
  }
}

export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Ask a yes/no question on the terminal; false when there is no terminal. */
  readonly confirm: (question: string) => Promise<boolean>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(args: string[], options: O, positionals = 0) {
  try {
    const out = parseArgs({
      args,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    });
    if (out.positionals.length > positionals) {
      throw new UsageError(`unexpected argument "${out.positionals[positionals]}"`);
    }
    return out;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
}

/** A config file that is not there or cannot be read: the message names the path, where it came from, and the fix. */
export class ConfigMissing extends MailwardenError<'CONFIG_MISSING'> {
  override readonly name = 'ConfigMissing';
  constructor(message: string) {
    super('CONFIG_MISSING', message);
  }
}

const INIT_HINT =
  'write a setup with `mailwarden init --dir DIR` and pass --config DIR/mailwarden.yaml (or set MAILWARDEN_CONFIG); an installed service keeps its config in /var/lib/mailwarden/mailwarden.yaml';

/** The config file a command uses: --config, else $MAILWARDEN_CONFIG, else ./mailwarden.yaml. */
export function configSource(value: string | undefined, env: NodeJS.ProcessEnv): { file: string; from: string } {
  if (value !== undefined) return { file: value, from: '--config' };
  if (env.MAILWARDEN_CONFIG) return { file: env.MAILWARDEN_CONFIG, from: '$MAILWARDEN_CONFIG' };
  return { file: './mailwarden.yaml', from: 'the default, as neither --config nor $MAILWARDEN_CONFIG is set' };
}

/** Loads the config for a command, turning an absent or unreadable file into an error that says what to do. */
export function loadCliConfig(value: string | undefined, env: NodeJS.ProcessEnv): LoadedConfig {
  const { file, from } = configSource(value, env);
  const absolute = resolve(file);
  const shown = absolute === file ? file : `${file} (${absolute})`;
  let isFile: boolean;
  try {
    isFile = statSync(absolute).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ConfigMissing(`no configuration file: tried ${shown}, from ${from}. To fix it: ${INIT_HINT}`);
    }
    throw new ConfigMissing(
      `cannot look at the configuration ${shown} (${code}); run the command as the user that owns it, e.g. \`sudo -u mailwarden mailwarden ...\``,
    );
  }
  if (!isFile) {
    throw new ConfigMissing(
      `the configuration ${shown}, from ${from}, is a folder; pass the mailwarden.yaml inside it`,
    );
  }
  try {
    accessSync(absolute, constants.R_OK);
  } catch {
    throw new ConfigMissing(
      `cannot read the configuration ${shown}: permission denied. It is the service's own file (mode 0600); run the command as its owner, e.g. \`sudo -u mailwarden mailwarden ...\``,
    );
  }
  const loaded = loadConfig(absolute);
  requireFile(
    loaded.config.policy,
    `the policy file named by "policy:" in ${absolute}`,
    'fix the path there, or copy a profile from policies/ (e.g. policies/draft_assist.yaml)',
  );
  return loaded;
}

/** Throws ConfigMissing naming `what`, the path and the fix when `file` is not a readable file. */
export function requireFile(file: string, what: string, fix: string): void {
  let problem: string | null = null;
  try {
    if (!statSync(file).isFile()) problem = 'is not a file';
    else accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problem = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code})`;
  }
  if (problem) throw new ConfigMissing(`${what}, ${resolve(file)}, ${problem}; ${fix}`);
}

export function print(io: CliIo, json: boolean, data: unknown, text: () => string): void {
  io.stdout(json ? `${JSON.stringify(data)}\n` : `${text()}\n`);
}
