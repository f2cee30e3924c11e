// Bundles the CLI into dist/cli/mailwarden.mjs so the command starts without compiling TypeScript on every run.
// Runs on `npm ci` (prepare) and before the tests. Without esbuild (npm ci --omit=dev) it does nothing:
// bin/mailwarden.mjs then runs the sources through tsx.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('build: esbuild is not installed (production install); the CLI will run from source');
  process.exit(0);
}
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await esbuild.build({
  entryPoints: [join(root, 'sidecar', 'cli', 'main.ts')],
  outfile: join(outdir, 'mailwarden.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies stay in node_modules (better-sqlite3 is native); only our own code is bundled.
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Files the bundled code reads next to itself (paths relative to the module, as in the sources).
const assets = join(root, 'sidecar', 'console', 'assets');
if (existsSync(assets)) cpSync(assets, join(outdir, 'assets'), { recursive: true });
