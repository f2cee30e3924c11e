import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('HTML mail as text', () => {
  it('loads the HTML renderer on the first HTML body, not at start-up', async () => {
    const probe = `
      import { createRequire } from 'node:module';
      const m = await import(${JSON.stringify(join(import.meta.dirname, 'html-text.ts'))});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('html-to-text'));
      const before = loaded();
      m.htmlToText('<p>a</p><p>b</p>');
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe]);
    expect(JSON.parse(stdout)).toEqual({ before: false, after: true });
  });
});
