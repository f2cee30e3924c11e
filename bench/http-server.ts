// Baseline server children on a unix socket: a bare Hono route (what a user would otherwise run), and the same
// route with the durable writes every denied send keeps (the floor under any governed answer).
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { generateEvidenceKeys, openEvidenceLog } from '../sidecar/evidence/index.ts';
import { listenOnSocket } from '../sidecar/http/index.ts';
import { timeOrderedId } from '../sidecar/proposals/ids.ts';
import { createProposalRepository } from '../sidecar/proposals/repository.ts';
import { CORE_MIGRATIONS, createWriteBatch, openStateDb, startWalCheckpointer } from '../sidecar/state/index.ts';

function bareApp() {
  // A JSON route that reads the body and answers, nothing else.
  const app = new Hono();
  app.post('/v1/proposals', async (c) => {
    const body = (await c.req.json()) as unknown;
    return c.json({ ok: true, received: typeof body });
  });
  return app;
}

/**
 * The bare route plus what the product promises for every proposal, denied or not, and nothing else: one evidence
 * record durably appended (the real log, group commit, fdatasync), then one proposal row committed to the real
 * state database (WAL, grouped per event-loop turn, the checkpointer in its thread). No authentication, validation,
 * policy, sealing or lockdown: what no governed answer can cost less than while the durability promises hold.
 */
async function floorApp(dir: string) {
  const keys = generateEvidenceKeys();
  const evidence = await openEvidenceLog({
    dir: join(dir, 'evidence'),
    signingKey: createPrivateKey(keys.privateKeyPem),
    blindingKey: randomBytes(32),
    origin: 'mailwarden/bench-floor',
  });
  const file = join(dir, 'state.db');
  const db = openStateDb({ file, migrations: CORE_MIGRATIONS });
  const checkpointer = await startWalCheckpointer(db, file);
  const repo = createProposalRepository(db);
  const writes = createWriteBatch(db);
  const app = new Hono();
  app.post('/v1/proposals', async (c) => {
    const text = await c.req.text();
    JSON.parse(text);
    const id = timeOrderedId();
    const at = new Date().toISOString();
    const hash = createHash('sha256').update(text).digest('hex');
    await evidence.append({ type: 'proposal_submitted', proposalId: id, principal: 'agent', data: { hash } });
    await writes.run(() =>
      repo.insert({
        id,
        principal: 'agent',
        action: 'gmail.send',
        status: 'denied',
        canonical: text,
        hash,
        decision: '{"effect":"deny"}',
        policy_digest: hash,
        correlation_id: id,
        session_id: null,
        created_at: at,
        updated_at: at,
        expires_at: null,
        exec_state: 'none',
        claimed_at: null,
        result: null,
        error: null,
      }),
    );
    return c.json({ proposal: { id, status: 'denied' } }, 403);
  });
  const close = async () => {
    await checkpointer.stop();
    await evidence.close();
    db.close();
  };
  return { app, close };
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'bare';
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-'));
  const socket = join(dir, 'agent.sock');
  const server = mode === 'floor' ? await floorApp(dir) : { app: bareApp(), close: async () => undefined };
  const listener = await listenOnSocket(server.app, socket, 0o600);
  process.stdout.write(`${JSON.stringify({ socket })}\n`);
  const stop = () => {
    listener
      .close()
      .then(server.close)
      .finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
