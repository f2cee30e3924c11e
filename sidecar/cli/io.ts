// Shared plumbing of the CLI: argument parsing, exit codes, output in text or JSON.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { defaultConfigPath } from '../config/index.ts';
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

export function configPathFrom(value: string | undefined, env: NodeJS.ProcessEnv): string {
  return value ?? defaultConfigPath(env);
}

export function print(io: CliIo, json: boolean, data: unknown, text: () => string): void {
  io.stdout(json ? `${JSON.stringify(data)}\n` : `${text()}\n`);
}
