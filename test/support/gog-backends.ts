// Two gog backends over the same fixture mailbox for conformance tests: the real gog talking to the Google API
// emulator, and the fake gog. Each exposes the resulting mailbox so one check serves both.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator, FixtureMailbox } from '../../fixtures/google-emulator/server.mjs';
import { startEmulator } from '../../fixtures/google-emulator/server.mjs';
import { FAKE_GOG_BINARY, type GogConfig, prepareFakeGogHome } from '../../sidecar/exec/index.ts';
import { REPO_ROOT } from './sidecar.ts';

export const DEMO_MAILBOX_FILE = join(REPO_ROOT, 'fixtures', 'mailbox', 'demo-mailbox.json');

/** The demo mailbox plus a thread whose message has no subject (gog leaves such fields out of a search row). */
export function conformanceMailbox(): FixtureMailbox {
  const box = JSON.parse(readFileSync(DEMO_MAILBOX_FILE, 'utf8')) as FixtureMailbox;
  box.messages.push({
    id: '18c1a0000000f001',
    threadId: '18c1a0000000f001',
    from: 'noreply@status.example.com',
    to: ['owner@example.com'],
    cc: [],
    subject: '',
    date: '2026-11-21T07:00:00Z',
    labels: ['INBOX'],
    body: 'Nightly status: all green.',
    attachments: [],
  });
  return box;
}

export interface Backend {
  readonly name: 'real' | 'fake';
  readonly cfg: GogConfig;
  /** The gog binary to run with argv directly (the real one is a wrapper pointing gog at the emulator). */
  readonly binary: string;
  readonly home: string;
  /** Extra environment gog needs (none for the wrapper; it sets its own). */
  mailbox(): FixtureMailbox;
  readonly emulator?: Emulator;
  close(): Promise<void>;
}

function baseCfg(binary: string, home: string, account: string): GogConfig {
  return {
    binary,
    home,
    account,
    timeoutMs: 20_000,
    maxOutputBytes: 8_000_000,
    noSend: false,
    wrapUntrusted: false,
  };
}

/**
 * A shell wrapper that gives the real gog the emulator's proxy, CA and direct token, then execs it. The sidecar
 * runs it as its gog binary, so the executor's own scrubbed environment is what gog sees, plus these three.
 */
export function writeGogWrapper(dir: string, realGog: string, env: Record<string, string>): string {
  const file = join(dir, 'gog-via-emulator');
  const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${q(v)}`)
    .join('\n');
  writeFileSync(file, `#!/bin/sh\n${exports}\nexec ${q(realGog)} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

export async function realBackend(realGog: string, mailbox: FixtureMailbox): Promise<Backend> {
  const root = mkdtempSync(join(tmpdir(), 'mw-realgog-'));
  const home = join(root, 'gog');
  await prepareFakeGogHome(home, { mailbox: { account: mailbox.account, messages: [], events: [] } });
  const emulator = await startEmulator({ mailbox });
  const binary = writeGogWrapper(root, realGog, emulator.env);
  return {
    name: 'real',
    cfg: baseCfg(binary, home, mailbox.account),
    binary,
    home,
    emulator,
    mailbox: () => emulator.mailbox(),
    async close() {
      await emulator.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function fakeBackend(mailbox: FixtureMailbox): Promise<Backend> {
  const root = mkdtempSync(join(tmpdir(), 'mw-fakegog-'));
  const home = join(root, 'gog');
  await prepareFakeGogHome(home, { mailbox, faults: { now: '2026-11-22T12:00:00Z' } });
  return {
    name: 'fake',
    cfg: baseCfg(FAKE_GOG_BINARY, home, mailbox.account),
    binary: FAKE_GOG_BINARY,
    home,
    mailbox: () => {
      const box = JSON.parse(readFileSync(join(home, 'fake-mailbox.json'), 'utf8')) as FixtureMailbox;
      box.drafts ??= [];
      return box;
    },
    async close() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
