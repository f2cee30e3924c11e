// The in-process hot path for callgrind: the real sidecar (startSidecar from a config: durable evidence,
// guard, lockdown counting) or a bare Hono route, driven over its unix socket by a keep-alive client in the
// same process. Prints "mark1" before the measured requests and "mark2" after; waits for a stdin line at
// each, so the driver can dump callgrind's counters exactly around them.
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { Hono } from 'hono';
import { startSidecar } from '../sidecar/app/start.ts';
import { loadConfig } from '../sidecar/config/index.ts';
import { listenOnSocket } from '../sidecar/http/index.ts';
import { createLogger } from '../sidecar/log/index.ts';

const [mode, config, countArg, socketArg] = process.argv.slice(2);
const count = Number(countArg ?? 200);
const BODY = JSON.stringify({
  action: 'gmail.send',
  params: { to: ['sam@example.com'], subject: 'Hello', body: 'A short note.' },
});

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
let agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(socketPath: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        agent,
        method: 'POST',
        path: '/v1/proposals',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

async function main(): Promise<void> {
  let socketPath: string;
  let key = '';
  let stop: () => Promise<void>;
  if (mode === 'bare') {
    const app = new Hono();
    app.post('/v1/proposals', async (c) => c.json({ ok: true, received: typeof (await c.req.json()) }));
    const l = await listenOnSocket(app, socketArg!, 0o600);
    socketPath = l.path;
    stop = () => l.close();
  } else {
    const loaded = loadConfig(config!);
    const handle = await startSidecar(loaded, { logger: createLogger('error'), version: 'bench' });
    socketPath = handle.agentSocket;
    key = process.env.MW_BENCH_AGENT_KEY ?? '';
    stop = () => handle.stop();
  }
  // Warm-up: JIT, caches, and the lockdown the shipped config reaches after 10 denials.
  for (let i = 0; i < 100; i++) await post(socketPath, key);
  process.stdout.write('mark1\n');
  await lines.next();
  // Dumping the counters can take longer than the server's keep-alive timeout: start on a fresh connection.
  agent.destroy();
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
  await post(socketPath, key);
  for (let i = 1; i < count; i++) await post(socketPath, key);
  process.stdout.write('mark2\n');
  await lines.next();
  agent.destroy();
  await stop();
  process.exit(0);
}

await main();
