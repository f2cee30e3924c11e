// Rewrites (or with --check, verifies) the generated plugin artefacts: `node --import tsx plugin/generate.ts [--check]`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderArtefacts, sameArtefact } from './artefacts.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const drifted: string[] = [];

for (const [relative, text] of Object.entries(renderArtefacts())) {
  const path = join(root, relative);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== undefined && sameArtefact(relative, current, text)) continue;
  drifted.push(relative);
  if (!check) writeFileSync(path, text);
}

if (check && drifted.length > 0) {
  console.error(`out of date: ${drifted.join(', ')}; run node --import tsx plugin/generate.ts`);
  process.exit(1);
}
const json = drifted.filter((p) => p.endsWith('.json'));
if (!check && json.length > 0) {
  // Keep JSON in the formatter's layout so lint stays clean.
  execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', ...json], { cwd: root, stdio: 'inherit' });
}
console.log(drifted.length > 0 && !check ? `rewrote ${drifted.join(', ')}` : 'generated plugin files are up to date');
