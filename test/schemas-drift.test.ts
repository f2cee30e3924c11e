// The checked-in JSON Schemas of the config and policy files must match the zod schemas they come from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSchemas, SCHEMA_DIR } from '../scripts/generate-schemas.ts';

describe('generated JSON Schemas', () => {
  it.each(Object.entries(renderSchemas()))('%s is up to date (run scripts/generate-schemas.ts)', (name, text) => {
    expect(readFileSync(join(SCHEMA_DIR, name), 'utf8')).toBe(text);
  });
});
