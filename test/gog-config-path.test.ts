// The no-send config mailwarden writes must be the file the real gog reads: $GOG_HOME/config/config.json.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_GOG_BINARY, gogConfigPath } from '../sidecar/exec/index.ts';
import { requireRealGog } from './support/real-gog.ts';
import { initSetup, removeSetup, startTestSidecar } from './support/sidecar.ts';

const run = promisify(execFile);
const real = requireRealGog('gog config path');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** gog's own view of its safety settings for a home (`gog schema --json`, automation.safety). */
async function safetyOf(binary: string, home: string): Promise<Record<string, unknown>> {
  const env = { HOME: home, GOG_HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const { stdout } = await run(binary, ['--json', '--no-input', '--home', home, 'schema'], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as { automation: { safety: Record<string, unknown> } }).automation.safety;
}

async function sendExit(binary: string, home: string, account: string): Promise<{ code: number; stderr: string }> {
  const env = { HOME: home, GOG_HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', GOG_ACCESS_TOKEN: 'x' };
  const argv = ['--json', '--no-input', '--account', account, '--home', home];
  try {
    await run(binary, [...argv, 'gmail', 'send', '--to=a@example.com', '--subject=s', '--body=b'], { env });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    // The last stderr line is gog's error; a note about the direct token may stand before it.
    return { code: err.code, stderr: err.stderr.trim().split('\n').pop() ?? '' };
  }
}

describe.skipIf(!real)('the no-send layer against the real gog', () => {
  it('gogConfigPath is where gog reads its config under GOG_HOME', () => {
    expect(gogConfigPath('/srv/gog')).toBe('/srv/gog/config/config.json');
  });

  it('mailwarden init for a policy that never sends makes the real gog report gmail_no_send', async () => {
    const { dir } = await initSetup('observe_only', { fresh: true });
    dirs.push(dir);
    const home = join(dir, 'gog-home');
    expect(existsSync(join(home, 'config.json'))).toBe(false);
    expect(await safetyOf(real!.binary, home)).toMatchObject({ gmail_no_send: true });
  });

  it('start-up switches the real gog to no-send when the policy never sends', async () => {
    const sidecar = await startTestSidecar({
      profile: 'observe_only',
      prepare: (dir) => rmSync(gogConfigPath(join(dir, 'gog-home')), { force: true }),
    });
    try {
      expect(await safetyOf(real!.binary, sidecar.gogHome)).toMatchObject({ gmail_no_send: true });
    } finally {
      await sidecar.stop();
      removeSetup(sidecar);
    }
  });

  it('the fake gog reads the same file and no_send_accounts as a map, with gog messages', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mw-gogcfg-'));
    dirs.push(home);
    mkdirSync(join(home, 'config'));
    const account = 'Owner@Example.com';
    writeFileSync(gogConfigPath(home), JSON.stringify({ no_send_accounts: { 'owner@example.com': true } }));
    writeFileSync(join(home, 'fake-mailbox.json'), JSON.stringify({ account, messages: [], events: [] }));
    const fake = await sendExit(FAKE_GOG_BINARY, home, account);
    const gog = await sendExit(real!.binary, home, account);
    expect(gog.code).toBe(2);
    expect(fake).toEqual(gog);
    writeFileSync(gogConfigPath(home), JSON.stringify({ gmail_no_send: true }));
    const fake2 = await sendExit(FAKE_GOG_BINARY, home, account);
    expect(fake2).toEqual(await sendExit(real!.binary, home, account));
    expect(readFileSync(gogConfigPath(home), 'utf8')).toContain('gmail_no_send');
  });
});
