// The console's static page, script and style sheet, read once from the assets folder next to this file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ConsoleAsset {
  readonly body: string;
  readonly type: string;
}

export interface ConsoleAssets {
  readonly page: string;
  /** Served under /assets/<name>; only these names exist, so no path ever reaches the file system. */
  readonly files: ReadonlyMap<string, ConsoleAsset>;
}

const FILES: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'signer.js': 'text/javascript; charset=utf-8',
  'passkey.js': 'text/javascript; charset=utf-8',
  'views.js': 'text/javascript; charset=utf-8',
  'card.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export function loadConsoleAssets(): ConsoleAssets {
  const dir = new URL('./assets/', import.meta.url);
  const read = (name: string) => readFileSync(fileURLToPath(new URL(name, dir)), 'utf8');
  const files = new Map<string, ConsoleAsset>();
  for (const [name, type] of Object.entries(FILES)) files.set(name, { body: read(name), type });
  return { page: read('index.html'), files };
}
