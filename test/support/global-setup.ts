// Vitest global setup, once per run before any test file:
// - the CLI bundle is brought up to date when the sources are newer (`npm test` builds it first anyway), and
// - a directory, shared by every test process of the run, for the setups `mailwarden init` writes once per
//   profile (test/support/sidecar.ts copies them); removed when the run ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

declare module 'vitest' {
  export interface ProvidedContext {
    setupTemplates: string;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * bin/mailwarden.mjs runs dist/cli/mailwarden.mjs only while it is at least as new as every file under sidecar/
 * and shared/ and package.json; otherwise each start compiles the sources through tsx, two to three times the
 * cost, and the tests start the CLI some hundreds of times. The same rule here, and the project's own build.
 */
function buildStaleBundle(): void {
  if (process.env['MAILWARDEN_FROM_SOURCE']) return;
  let built = 0;
  try {
    built = statSync(join(REPO_ROOT, 'dist', 'cli', 'mailwarden.mjs')).mtimeMs;
  } catch {
    // not built yet
  }
  const sources = Math.max(
    newestMtime(join(REPO_ROOT, 'sidecar')),
    newestMtime(join(REPO_ROOT, 'shared')),
    statSync(join(REPO_ROOT, 'package.json')).mtimeMs,
  );
  if (built >= sources) return;
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export default function setup(project: TestProject): () => void {
  buildStaleBundle();
  const dir = mkdtempSync(join(tmpdir(), 'mw-templates-'));
  project.provide('setupTemplates', dir);
  // The test processes are started after this and inherit it; test/support/sidecar.ts reads it there without
  // importing vitest, so the benchmarks can use the same helpers outside a test run.
  process.env['MW_SETUP_TEMPLATES'] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
