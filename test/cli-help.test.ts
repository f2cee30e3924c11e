// Every command explains itself (`CMD --help`), and a setup that is not there is named with its fix.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_HELP, type CommandName } from '../sidecar/cli/help.ts';
import type { CliIo } from '../sidecar/cli/io.ts';
import { main } from '../sidecar/cli/main.ts';
import { mailwarden } from './support/sidecar.ts';

const scratch = mkdtempSync(join(tmpdir(), 'mw-cli-help-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const MISSING = join(scratch, 'nowhere', 'mailwarden.yaml');

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stdinIsTTY: false,
    stdoutIsTTY: false,
    env,
    confirm: async () => false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const commands = Object.keys(COMMAND_HELP) as CommandName[];
/** The flags a usage line names, e.g. "--status" from "[--status STATUS]". */
const flagsIn = (text: string) => [...new Set(text.match(/--[a-z][a-z-]*/g) ?? [])];

describe('mailwarden CMD --help', () => {
  it.each(commands)('%s --help prints its own usage, every flag and an example, exit 0', async (command) => {
    const r = await run([command, '--help'], { MAILWARDEN_CONFIG: MISSING });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`usage: mailwarden ${command}`)).toBe(true);
    const [, flagsPart = '', examplePart = ''] = r.stdout.split(/\nflags:\n|\nexamples?:\n/);
    for (const flag of flagsIn(COMMAND_HELP[command].usage.join(' '))) {
      expect(flagsPart, `${command}: ${flag} is in the usage but not explained`).toMatch(
        new RegExp(`^ {2}${flag}\\b`, 'm'),
      );
    }
    expect(flagsPart).toMatch(/^ {2}--json\b/m);
    expect(examplePart).toMatch(new RegExp(`^ {2}mailwarden ${command}\\b`, 'm'));
  });

  it('answers -h and `mailwarden help CMD` the same way, before any argument is checked', async () => {
    const long = await run(['init', '--help']);
    expect((await run(['init', '-h'])).stdout).toBe(long.stdout);
    expect((await run(['help', 'init'])).stdout).toBe(long.stdout);
    // Without --dir, init would refuse; help still answers.
    expect(long.stdout).toContain('--dir DIR');
    expect((await run(['help', 'frobnicate'])).code).toBe(2);
  });

  it('evidence verify --help needs no setup', async () => {
    const r = await run(['evidence', 'verify', '--help'], { MAILWARDEN_CONFIG: MISSING });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--proposal ID');
  });

  // The flags help documents are the ones the command's parser takes: none is refused as unknown.
  const needsConfig: [CommandName, string[]][] = [
    ['serve', []],
    ['list', []],
    ['show', ['some-id']],
    ['approve', ['some-id']],
    ['reject', ['some-id']],
    ['lockdown', ['on']],
    ['posture', []],
    ['console', []],
    ['approver', ['list']],
  ];
  it.each(needsConfig)('%s takes every flag its help names', async (command, positionals) => {
    for (const [flag] of COMMAND_HELP[command].flags) {
      const name = flag.split(/[ ,]/)[0]!;
      const value = /^--[a-z-]+ [A-Z]/.test(flag) ? ['127.0.0.1:1'] : [];
      const r = await run([command, ...positionals, name, ...value, '--config', MISSING]);
      expect(r.stderr, `${command} ${name}`).not.toMatch(/Unknown option|unexpected argument/);
      expect(r.stderr).toContain('no configuration file');
    }
  });

  it('points a usage error at the command help', async () => {
    const r = await run(['list', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`mailwarden list --help`');
  });
});

describe('a setup that is not there', () => {
  it('names the path tried, where it came from, and suggests mailwarden init (real process)', async () => {
    const cwd = join(scratch, 'empty');
    mkdirSync(cwd, { recursive: true });
    const viaEnv = await mailwarden(['list'], { MAILWARDEN_CONFIG: MISSING });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toContain(`tried ${MISSING}, from $MAILWARDEN_CONFIG`);
    expect(viaEnv.stderr).toContain('mailwarden init --dir DIR');
    expect(viaEnv.stderr).not.toMatch(/:0:0/);
    expect(viaEnv.stderr).not.toMatch(/\n\s+at /);

    const viaDefault = await run(['posture', '--json'], {});
    expect(viaDefault.code).toBe(2);
    expect(JSON.parse(viaDefault.stdout)).toMatchObject({ error: { code: 'CONFIG_MISSING' } });
    expect(viaDefault.stderr).toContain('tried ./mailwarden.yaml');
    expect(viaDefault.stderr).toContain('neither --config nor $MAILWARDEN_CONFIG is set');

    const viaFlag = await run(['show', 'x', '--config', MISSING]);
    expect(viaFlag.stderr).toContain(`tried ${MISSING}, from --config`);
  });

  it('says a folder is not a config file', async () => {
    const r = await run(['posture', '--config', scratch]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a folder; pass the mailwarden.yaml inside it');
  });

  it('names a missing policy file, in the config and on the command line', async () => {
    const config = join(scratch, 'setup');
    const init = await run(['init', '--dir', config, '--json']);
    expect(init.code).toBe(0);
    const file = JSON.parse(init.stdout).config as string;
    rmSync(join(config, 'policy.yaml'));
    const r = await run(['posture', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the policy file named by "policy:" in ${file}, ${join(config, 'policy.yaml')}`);
    const check = await run(['policy', 'check', join(scratch, 'nope.yaml')]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(`${join(scratch, 'nope.yaml')}, does not exist`);
    expect(check.stdout + check.stderr).not.toMatch(/:0:0/);
  });
});
