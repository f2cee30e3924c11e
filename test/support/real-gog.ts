// The real gog for the conformance tests: scripts/install-gog.sh builds it into .cache/gog/<version>/ once.
// When it cannot be installed the tests that need it fail under CI=true and are reported as NOT RUN otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './sidecar.ts';

export interface RealGog {
  /** The plain build of gog's cmd/gog. */
  readonly binary: string;
  /** The same version built with the safety_profile tag and the agent-safe preset baked in. */
  readonly agentSafe: string;
  readonly version: string;
}

export type RealGogLookup = { readonly ok: true; readonly gog: RealGog } | { readonly ok: false; readonly why: string };

let cached: RealGogLookup | undefined;

/** Runs the install script (a no-op after the first build) and returns the binaries or why they are missing. */
export function findRealGog(): RealGogLookup {
  if (cached) return cached;
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'install-gog.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15 * 60_000,
  });
  const dir = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !existsSync(join(dir, 'gog'))) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    cached = { ok: false, why: `scripts/install-gog.sh exited ${r.status ?? r.signal}: ${last}` };
  } else {
    const version = dir.split('/').pop() ?? '';
    cached = { ok: true, gog: { binary: join(dir, 'gog'), agentSafe: join(dir, 'gog-agent-safe'), version } };
  }
  return cached;
}

/**
 * The real gog, or a clear verdict when it is missing: under CI this throws (the suite fails), elsewhere it
 * prints NOT RUN with the reason and returns undefined so the caller's describe is skipped visibly.
 */
export function requireRealGog(suite: string): RealGog | undefined {
  const found = findRealGog();
  if (found.ok) return found.gog;
  const msg = `${suite}: NOT RUN — the real gog is not installed (${found.why}). Run scripts/install-gog.sh.`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(msg);
  console.warn(msg);
  return undefined;
}
