// The layout rules a reader relies on: plugin → shared ← sidecar, and domains meet only through their index.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [path] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...specs, ...dynamic]
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

describe('import direction', () => {
  it('shared/ imports nothing of plugin/ or sidecar/', () => {
    const bad = sources('shared').flatMap((f) =>
      relativeImports(f)
        .filter((t) => !t.startsWith('shared/'))
        .map((t) => `${f} → ${t}`),
    );
    expect(bad).toEqual([]);
  });

  it('plugin/ never imports sidecar/', () => {
    const bad = sources('plugin').flatMap((f) =>
      relativeImports(f)
        .filter((t) => t.startsWith('sidecar/'))
        .map((t) => `${f} → ${t}`),
    );
    expect(bad).toEqual([]);
  });

  it('sidecar/ never imports plugin/', () => {
    const bad = sources('sidecar').flatMap((f) =>
      relativeImports(f)
        .filter((t) => t.startsWith('plugin/'))
        .map((t) => `${f} → ${t}`),
    );
    expect(bad).toEqual([]);
  });

  it('a sidecar domain reaches another only through its index.ts', () => {
    const bad = sources('sidecar').flatMap((f) => {
      const own = f.split('/')[1];
      return relativeImports(f)
        .filter((t) => t.startsWith('sidecar/'))
        .filter((t) => {
          const parts = t.split('/');
          if (parts.length < 3) return false; // sidecar/errors.ts and other shared files at the root
          return parts[1] !== own && parts.slice(2).join('/') !== 'index.ts';
        })
        .map((t) => `${f} → ${t}`);
    });
    expect(bad).toEqual([]);
  });
});
