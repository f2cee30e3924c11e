// `npm run demo`: writes the demo setup into ./demo on the first run (fake gog, draft_assist policy), then
// serves it in the foreground. Later runs reuse the same setup, keys and evidence.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/mailwarden.mjs', import.meta.url));
const config = 'demo/mailwarden.yaml';
const run = (args) => spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' }).status ?? 1;

if (!existsSync(config)) {
  const code = run(['init', '--dir', 'demo', '--backend', 'fake', '--profile', 'draft_assist']);
  if (code !== 0) process.exit(code);
} else {
  console.log(`reusing the demo setup in ./demo (agent key: demo/keys/agent.key); remove ./demo to start afresh`);
}
process.exit(run(['serve', '--config', config]));
