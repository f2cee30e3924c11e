// Bundles the OpenClaw entry (with the shared schemas and zod) into one dependency-free file, dist/index.js.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

export async function buildOpenClawPlugin(): Promise<string> {
  const outfile = join(here, 'dist', 'index.js');
  await build({
    entryPoints: [join(here, 'src', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // The host loads the plugin in-process: nothing from the host is bundled, and nothing is imported from it.
    external: ['openclaw', 'openclaw/*'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outfile = await buildOpenClawPlugin();
  console.log(`built ${outfile}`);
}
