// Bundles the CLI into dist/cli/ so the command starts without compiling TypeScript or resolving hundreds of
// dependency files on every run. Runs on `npm ci` (prepare) and before the tests. esbuild comes with tsx, a
// runtime dependency, so a production install (npm ci --omit=dev) builds too; without it this does nothing and
// bin/mailwarden.mjs runs the sources through tsx.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('build: esbuild is not installed; the CLI will run from source');
  process.exit(0);
}

/**
 * Modules whose loading costs start-up time but which only a rare request needs: the bundle imports them on
 * first use. Only async functions can be deferred this way; importing anything else from them fails the build
 * ("No matching export"), so a new use is noticed here rather than at run time.
 */
const DEFERRED = {
  // Passkey approvals and enrolment (verification is async anyway); about a fifth of the dependency load time.
  '@simplewebauthn/server': [
    'verifyAuthenticationResponse',
    'generateRegistrationOptions',
    'verifyRegistrationResponse',
  ],
};

const deferImports = {
  name: 'defer-imports',
  setup(build) {
    const filter = new RegExp(
      `^(${Object.keys(DEFERRED)
        .map((m) => m.replace(/[/.]/g, '\\$&'))
        .join('|')})$`,
    );
    build.onResolve({ filter }, (args) =>
      args.namespace === 'deferred' ? undefined : { path: args.path, namespace: 'deferred' },
    );
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
      resolveDir: root,
      contents: [
        `let loaded;`,
        `const load = () => (loaded ??= import(${JSON.stringify(args.path)}));`,
        ...DEFERRED[args.path].map(
          (name) => `export async function ${name}(...args) { return (await load()).${name}(...args); }`,
        ),
      ].join('\n'),
    }));
  },
};

const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await esbuild.build({
  entryPoints: {
    mailwarden: join(root, 'sidecar', 'cli', 'main.ts'),
    // What `evidence verify` runs in its worker threads (sidecar/evidence/parallel-scan.ts).
    'verify-worker': join(root, 'sidecar', 'evidence', 'verify-worker.ts'),
  },
  outdir,
  // Every output sits directly in dist/cli, two levels below the root like the sources, so paths taken
  // relative to a module (package.json, the console assets) resolve the same from either.
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // better-sqlite3 is a native addon and stays in node_modules (its path is also handed to worker threads);
  // every other dependency is bundled, which halves the time the CLI takes to load.
  external: ['better-sqlite3'],
  // Bundled CommonJS dependencies call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __mwCreateRequire } from 'node:module';\nconst require = __mwCreateRequire(import.meta.url);",
  },
  plugins: [deferImports],
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Files the bundled code reads next to itself (paths relative to the module, as in the sources).
const assets = join(root, 'sidecar', 'console', 'assets');
if (existsSync(assets)) cpSync(assets, join(outdir, 'assets'), { recursive: true });
