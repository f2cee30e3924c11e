// The gog versions mailwarden supports, and reading the installed one (`gog --version`).
import { runProcess } from './run-process.ts';
import type { GogConfig } from './types.ts';

/**
 * Supported gog releases (docs/gog-backend.md): `minimum` is the oldest whose flags, JSON and config layout
 * mailwarden was checked against; `tested` are the releases the conformance suite runs.
 */
export const SUPPORTED_GOG = { minimum: 'v0.34.1', tested: ['v0.34.1'] } as const;

export type GogVersionVerdict = 'supported' | 'newer' | 'older' | 'unknown';

export interface GogVersionCheck {
  readonly verdict: GogVersionVerdict;
  /** The release as gog printed it, without a build suffix such as `-safe`; null when unreadable. */
  readonly version: string | null;
  readonly detail?: string;
}

function parts(v: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Judges a version string against SUPPORTED_GOG. */
export function judgeGogVersion(printed: string): GogVersionCheck {
  const got = parts(printed);
  if (got === null)
    return { verdict: 'unknown', version: null, detail: `unreadable version "${printed.slice(0, 80)}"` };
  const version = `v${got.join('.')}`;
  if ((SUPPORTED_GOG.tested as readonly string[]).includes(version)) return { verdict: 'supported', version };
  const min = parts(SUPPORTED_GOG.minimum) as [number, number, number];
  return { verdict: compare(got, min) < 0 ? 'older' : 'newer', version };
}

/** Runs `gog --version` with the executor's environment and judges the answer. */
export async function checkGogVersion(cfg: GogConfig): Promise<GogVersionCheck> {
  const res = await runProcess(cfg, ['--version'], undefined);
  if (res.kind === 'spawn_error')
    return {
      verdict: 'unknown',
      version: null,
      detail: `cannot run ${cfg.binary} (${res.spawnErrorCode ?? 'spawn failed'})`,
    };
  if (res.kind !== 'exited' || res.exitCode !== 0)
    return {
      verdict: 'unknown',
      version: null,
      detail: `gog --version did not answer (${res.kind} ${res.exitCode ?? ''})`,
    };
  return judgeGogVersion(res.stdout.toString('utf8').split('\n')[0] ?? '');
}
