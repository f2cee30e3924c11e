// The baseline server child: a bare Hono route on a unix socket, what a user would otherwise run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { listenOnSocket } from '../sidecar/http/index.ts';

function bareApp() {
  // A JSON route that reads the body and answers, nothing else.
  const app = new Hono();
  app.post('/v1/proposals', async (c) => {
    const body = (await c.req.json()) as unknown;
    return c.json({ ok: true, received: typeof body });
  });
  return app;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-'));
  const socket = join(dir, 'agent.sock');
  const listener = await listenOnSocket(bareApp(), socket, 0o600);
  process.stdout.write(`${JSON.stringify({ socket })}\n`);
  const stop = () => {
    listener.close().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
