// The plugin runs inside the agent's process: it may import shared/ and itself, never the sidecar, and from
// a host runtime only the entry helper the host hands its plugins (OpenClaw's definePluginEntry).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const pluginDir = join(root, 'plugin');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'dist' || e.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) ? [path] : [];
  });
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
const ALLOWED_PACKAGES = ['zod', 'yaml', 'esbuild', 'tsx', '@modelcontextprotocol/sdk', 'vitest'];

describe('plugin imports', () => {
  const files = sources(pluginDir);

  it.each(files.map((f) => [relative(root, f), f]))(
    '%s imports only shared/, plugin/ and allowed packages',
    (_n, file) => {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[3] ?? m[4] ?? '';
        const typeOnly = Boolean(m[2]);
        if (spec.startsWith('.')) {
          const target = relative(root, resolve(file, '..', spec));
          expect(target.startsWith('plugin/') || target.startsWith('shared/'), `${spec} in ${file}`).toBe(true);
        } else if (spec.startsWith('node:')) {
          // built-ins are fine
        } else if (spec === 'openclaw' || spec.startsWith('openclaw/')) {
          const entryHelper =
            spec === 'openclaw/plugin-sdk/plugin-entry' && relative(root, file) === 'plugin/openclaw/src/index.ts';
          expect(typeOnly || entryHelper, `runtime import of ${spec} in ${file}`).toBe(true);
        } else {
          expect(
            ALLOWED_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`)),
            `${spec} in ${file}`,
          ).toBe(true);
        }
      }
    },
  );

  it('found the plugin sources', () => {
    expect(files.length).toBeGreaterThan(15);
  });
});
