#!/usr/bin/env node
// The installed `mailwarden` command. It runs the bundle built by `npm ci` (scripts/build.mjs) when that is
// newer than every source file and than the installed dependencies (the bundle holds their code), and otherwise
// the TypeScript sources through tsx, so an edited checkout or an updated dependency never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli/mailwarden.mjs', import.meta.url);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    // Unit tests live beside the sources but are never part of the bundle.
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.MAILWARDEN_FROM_SOURCE) return false;
  try {
    const built = statSync(bundle).mtimeMs;
    const root = fileURLToPath(new URL('..', import.meta.url));
    // npm rewrites node_modules/.package-lock.json whenever it installs or updates anything.
    const installed = [`${root}package-lock.json`, `${root}node_modules/.package-lock.json`].filter((f) =>
      existsSync(f),
    );
    const sources = Math.max(
      newestMtime(`${root}sidecar`),
      newestMtime(`${root}shared`),
      statSync(`${root}package.json`).mtimeMs,
      ...installed.map((f) => statSync(f).mtimeMs),
    );
    return built >= sources;
  } catch {
    return false;
  }
}

let main;
if (bundleIsFresh()) {
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../sidecar/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
