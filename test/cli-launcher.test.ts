// bin/mailwarden.mjs runs the prebuilt bundle only while it is newer than everything it was built from.
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/sidecar.ts';

const run = promisify(execFile);
let root: string;
const OLD = new Date('2026-01-01T00:00:00Z');
const BUILT = new Date('2026-01-02T00:00:00Z');
const LATER = new Date('2026-01-03T00:00:00Z');

/** A checkout in miniature: the real launcher, a bundle and sources that each say which one ran. */
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mw-launcher-'));
  for (const d of ['bin', 'sidecar/cli', 'shared', 'dist/cli', 'node_modules'])
    mkdirSync(join(root, d), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'bin', 'mailwarden.mjs'), join(root, 'bin', 'mailwarden.mjs'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
  const says = (what: string) =>
    `export async function main(): Promise<number> {\n  process.stdout.write(${JSON.stringify(what)});\n  return 0;\n}\n`;
  writeFileSync(join(root, 'sidecar', 'cli', 'main.ts'), says('source'));
  writeFileSync(join(root, 'shared', 'index.ts'), 'export const x = 1;\n');
  writeFileSync(join(root, 'shared', 'index.test.ts'), 'export {};\n');
  writeFileSync(join(root, 'dist', 'cli', 'mailwarden.mjs'), says('bundle').replace(': Promise<number>', ''));
  writeFileSync(join(root, 'node_modules', '.package-lock.json'), '{}\n');
  symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules', 'tsx')), join(root, 'node_modules', 'tsx'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function stamp(files: Record<string, Date>): void {
  const all: Record<string, Date> = {
    'package.json': OLD,
    'package-lock.json': OLD,
    'node_modules/.package-lock.json': OLD,
    'sidecar/cli/main.ts': OLD,
    'shared/index.ts': OLD,
    'shared/index.test.ts': OLD,
    'dist/cli/mailwarden.mjs': BUILT,
    ...files,
  };
  for (const [file, at] of Object.entries(all)) utimesSync(join(root, file), at, at);
}

async function whichRuns(env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { MAILWARDEN_FROM_SOURCE: _drop, ...base } = process.env;
  const r = await run(process.execPath, [join(root, 'bin', 'mailwarden.mjs'), '--version'], {
    env: { ...base, ...env },
  });
  return r.stdout;
}

describe('bin/mailwarden.mjs', () => {
  it('runs the bundle when it is newer than the sources, the manifest and the installed dependencies', async () => {
    stamp({});
    expect(await whichRuns()).toBe('bundle');
  });

  it('runs the sources when one of them changed after the build', async () => {
    stamp({ 'shared/index.ts': LATER });
    expect(await whichRuns()).toBe('source');
  });

  it('keeps the bundle when only a unit test changed (tests are not built into it)', async () => {
    stamp({ 'shared/index.test.ts': LATER });
    expect(await whichRuns()).toBe('bundle');
  });

  it('runs the sources when dependencies were installed after the build (the bundle holds their code)', async () => {
    stamp({ 'node_modules/.package-lock.json': LATER });
    expect(await whichRuns()).toBe('source');
    stamp({ 'package-lock.json': LATER });
    expect(await whichRuns()).toBe('source');
  });

  it('runs the sources when asked to', async () => {
    stamp({});
    expect(await whichRuns({ MAILWARDEN_FROM_SOURCE: '1' })).toBe('source');
  });
});

describe('the built bundle', () => {
  /** The chunks a bundle file imports statically, and theirs, transitively. */
  function staticClosure(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file)) return seen;
    seen.add(file);
    const text = readFileSync(join(REPO_ROOT, 'dist', 'cli', file), 'utf8');
    for (const m of text.matchAll(
      /^(?:import|export)\b[^;]*?from\s+"\.\/([^"]+\.mjs)"|^import\s+"\.\/([^"]+\.mjs)"/gm,
    )) {
      staticClosure((m[1] ?? m[2])!, seen);
    }
    return seen;
  }

  it('loads a command\u2019s modules only when that command runs', () => {
    const loadedAtStart = [...staticClosure('mailwarden.mjs')];
    const holding = (code: string) =>
      loadedAtStart.filter((f) => readFileSync(join(REPO_ROOT, 'dist', 'cli', f), 'utf8').includes(code));
    // `mailwarden --version` or `mailwarden list` must not evaluate the sidecar, the console or the verifier.
    expect(holding('function startSidecar(')).toEqual([]);
    expect(holding('function consoleCommand(')).toEqual([]);
    expect(holding('function evidenceCommand(')).toEqual([]);
  });
});
