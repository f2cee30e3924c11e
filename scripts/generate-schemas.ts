// Writes the JSON Schemas of the config and policy files from their zod schemas (docs/schemas/).
// Run: node --import tsx scripts/generate-schemas.ts   (a test fails when the files drift)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigSchema } from '../sidecar/config/index.ts';
import { PolicySchema } from '../sidecar/policy/index.ts';

export const SCHEMA_DIR = join(import.meta.dirname, '..', 'docs', 'schemas');

export function renderSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, title: string) =>
    `${JSON.stringify({ title, ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) }, null, 2)}\n`;
  return {
    'config.schema.json': render(ConfigSchema, 'mailwarden configuration (mailwarden.yaml)'),
    'policy.schema.json': render(PolicySchema, 'mailwarden policy (policies/*.yaml)'),
  };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  for (const [name, text] of Object.entries(renderSchemas())) writeFileSync(join(SCHEMA_DIR, name), text);
  console.log(`wrote ${Object.keys(renderSchemas()).join(', ')} to ${SCHEMA_DIR}`);
}
