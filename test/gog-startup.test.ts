// Start-up asks the gog binary itself: its version must be a supported one, and when the policy never sends,
// gog's own view (`gog schema`, automation.safety.gmail_no_send) must confirm the no-send layer is active.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGogVersion, FAKE_GOG_BINARY, probeGogSchema, SUPPORTED_GOG } from '../sidecar/exec/index.ts';
import { requireRealGog } from './support/real-gog.ts';
import { BIN, initSetup, removeSetup } from './support/sidecar.ts';

const real = requireRealGog('gog start-up checks');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeSetup({ dir: d });
});

/** Points the setup's config at another gog binary (a wrapper script written into the setup). */
function useGog(dir: string, script: string): string {
  const file = join(dir, 'gog-under-test');
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  const configFile = join(dir, 'mailwarden.yaml');
  const text = readFileSync(configFile, 'utf8').replace(/^ {2}binary: .*$/m, `  binary: ${file}`);
  writeFileSync(configFile, text);
  return file;
}

/** Runs `mailwarden serve` on a fresh setup with the given gog until it is ready or exits (a refused start). */
async function serveWith(
  profile: 'observe_only' | 'draft_assist',
  gogScript: (dir: string) => string,
): Promise<{ started: boolean; output: string; dir: string }> {
  const { dir, init } = await initSetup(profile);
  dirs.push(dir);
  useGog(dir, gogScript(dir));
  const child = spawn(process.execPath, [BIN, 'serve', '--config', init.config, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('"ready":true')) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => resolve({ started: output.includes('"ready":true'), output, dir }));
  });
}

describe('start-up asks gog about itself', () => {
  it('once, when `gog schema` names the build: the version is read from it', async () => {
    // Each gog run is a process start (about 100 ms for gog itself on a slow machine) on the start-up's path.
    const r = await serveWith(
      'draft_assist',
      (dir) => `#!/bin/sh\necho "$*" >> '${join(dir, 'gog-calls.log')}'\nexec '${FAKE_GOG_BINARY}' "$@"\n`,
    );
    expect(r.started).toBe(true);
    const calls = readFileSync(join(r.dir, 'gog-calls.log'), 'utf8').trim().split('\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/ schema$/);
  });

  it('asks `gog --version` when the schema cannot be read, and refuses an old gog named there', async () => {
    const r = await serveWith(
      'draft_assist',
      () =>
        `#!/bin/sh\n[ "$1" = --version ] && { echo v0.9.0; exit 0; }\nfor a in "$@"; do [ "$a" = schema ] && exit 2; done\nexec '${FAKE_GOG_BINARY}' "$@"\n`,
    );
    expect(r.started).toBe(false);
    expect(r.output).toContain('GOG_VERSION_UNSUPPORTED');
    expect(r.output).toContain('v0.9.0');
  });

  it('refuses an old gog whose schema names its build', async () => {
    const r = await serveWith(
      'draft_assist',
      () =>
        `#!/bin/sh\n[ "$1" = --version ] && { echo v0.9.0; exit 0; }\n'${FAKE_GOG_BINARY}' "$@" | sed 's/"build": *"[^"]*"/"build":"v0.9.0"/'\n`,
    );
    expect(r.started).toBe(false);
    expect(r.output).toContain('GOG_VERSION_UNSUPPORTED');
    expect(r.output).toContain('v0.9.0');
    expect(r.output).toContain('docs/gog-backend.md');
  });
});

describe.skipIf(!real)('start-up checks against the real gog', () => {
  it('reads the version of the real gog and of the fake as supported', async () => {
    const cfg = {
      binary: real!.binary,
      home: '/nonexistent',
      account: 'a@b.c',
      timeoutMs: 10_000,
      maxOutputBytes: 1e6,
    };
    expect(await checkGogVersion({ ...cfg, noSend: false, wrapUntrusted: false })).toMatchObject({
      verdict: 'supported',
      version: SUPPORTED_GOG.tested[0],
    });
    const fake = await checkGogVersion({ ...cfg, binary: FAKE_GOG_BINARY, noSend: false, wrapUntrusted: false });
    expect(fake.verdict).toBe('supported');
    // Start-up reads the version from the schema's build when it names one: for the real gog they agree.
    const probe = await probeGogSchema({
      ...cfg,
      home: mkdtempSync(join(tmpdir(), 'mw-gog-home-')),
      noSend: false,
      wrapUntrusted: false,
    });
    expect(probe).toMatchObject({ build: SUPPORTED_GOG.tested[0] });
  });

  it('the schema probe of the baked agent-safe build names its profile and the no-send state', async () => {
    const { dir } = await initSetup('observe_only');
    dirs.push(dir);
    const cfg = {
      binary: real!.agentSafe,
      home: join(dir, 'gog-home'),
      account: 'owner@example.com',
      timeoutMs: 20_000,
      maxOutputBytes: 1e6,
      noSend: false,
      wrapUntrusted: false,
    };
    expect(await probeGogSchema(cfg)).toMatchObject({
      bakedProfile: { enabled: true, name: 'agent-safe' },
      gmailNoSend: true,
    });
  });

  it('refuses to start when the policy never sends but gog does not report gmail_no_send', async () => {
    // This gog reads its config from another home, so the no-send file mailwarden wrote never takes effect.
    const r = await serveWith(
      'observe_only',
      (dir) => `#!/bin/sh\nexec '${real!.binary}' --home '${join(dir, 'elsewhere')}' "$@"\n`,
    );
    expect(r.started).toBe(false);
    expect(r.output).toContain('GOG_NO_SEND_INACTIVE');
    expect(r.output).toContain(join(r.dir, 'gog-home', 'config', 'config.json'));
    expect(r.output).toMatch(/gog schema/);
  });

  it('starts with the real gog when its no-send layer is active', async () => {
    const r = await serveWith('observe_only', () => `#!/bin/sh\nexec '${real!.binary}' "$@"\n`);
    expect(r.output).not.toContain('GOG_NO_SEND_INACTIVE');
    expect(r.started).toBe(true);
  });
});
