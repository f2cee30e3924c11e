// Paths of the fake gog and its demo mailbox, and setting up a gog home for it (init --backend fake, tests).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gogConfigPath } from './gog-config.ts';

/** The fake gog executable shipped in the repository. */
export const FAKE_GOG_BINARY = fileURLToPath(new URL('../../fixtures/fake-gog/gog', import.meta.url));

/** The demo mailbox `mailwarden init --backend fake` copies into the gog home. */
export const DEMO_MAILBOX = fileURLToPath(new URL('../../fixtures/mailbox/demo-mailbox.json', import.meta.url));

export interface FakeGogHomeOptions {
  /** A mailbox object to write instead of copying the demo mailbox. */
  readonly mailbox?: unknown;
  /** YAML text standing in for a profile baked into the binary (`fake-profile.yaml`). */
  readonly profileYaml?: string;
  /** gog's own config.json content (e.g. from gogConfigFor), written where gog reads it. */
  readonly gogConfig?: unknown;
  /** Fault hooks for tests (`fake-faults.json`): sleepMs, exitCode, message, times, garbage, now. */
  readonly faults?: Record<string, unknown>;
}

/** Creates (or fills) a gog home for the fake gog, with owner-only modes. */
export async function prepareFakeGogHome(home: string, opts: FakeGogHomeOptions = {}): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const mailboxFile = join(home, 'fake-mailbox.json');
  if (opts.mailbox === undefined) await copyFile(DEMO_MAILBOX, mailboxFile);
  else await writeFile(mailboxFile, `${JSON.stringify(opts.mailbox, null, 2)}\n`, { mode: 0o600 });
  if (opts.profileYaml !== undefined)
    await writeFile(join(home, 'fake-profile.yaml'), opts.profileYaml, { mode: 0o600 });
  if (opts.gogConfig !== undefined) {
    await mkdir(dirname(gogConfigPath(home)), { recursive: true, mode: 0o700 });
    await writeFile(gogConfigPath(home), `${JSON.stringify(opts.gogConfig, null, 2)}\n`, { mode: 0o600 });
  }
  if (opts.faults !== undefined) {
    await writeFile(join(home, 'fake-faults.json'), `${JSON.stringify(opts.faults)}\n`, { mode: 0o600 });
  }
}
