// A benchmark server child: one scenario (bare Hono route or the governed agent app) on a unix socket.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { createAgentAuthenticator, createRateLimiter, generateAgentKey, hashAgentKey } from '../sidecar/auth/index.ts';
import { generateEvidenceKeys, openEvidenceLog } from '../sidecar/evidence/index.ts';
import type { EvidenceLog } from '../sidecar/evidence/types.ts';
import type { GogExecutor } from '../sidecar/exec/types.ts';
import { createAgentApp, listenOnSocket } from '../sidecar/http/index.ts';
import { loadPolicy } from '../sidecar/policy/index.ts';
import { createProposalService } from '../sidecar/proposals/index.ts';
import { CORE_MIGRATIONS, openStateDb } from '../sidecar/state/index.ts';
import { REPO_ROOT } from '../test/support/sidecar.ts';

export const ScenarioSchema = z.enum(['bare', 'denied', 'read', 'read-durable', 'read-nosync']);
export type Scenario = z.infer<typeof ScenarioSchema>;

/** A fixed, already-normalised gmail.search result: the backend costs nothing, governance is what is left. */
const FIXED_SEARCH = {
  threads: [
    {
      id: 't-1',
      subject: 'Q4 planning offsite',
      from: 'sam@example.com',
      snippet: 'Agenda attached',
      date: '2026-11-20T10:00:00Z',
      labels: ['INBOX'],
      messageCount: 2,
    },
  ],
  nextPageToken: null,
};

function fixedExecutor(): GogExecutor {
  return {
    execute: async () => ({
      ok: true,
      result: FIXED_SEARCH,
      info: { exitCode: 0, durationMs: 0, stdoutDigest: 'sha256:0', stderrDigest: 'sha256:0', attempts: 1 },
    }),
    readDraft: async () => ({ ok: false as const, code: 'GOG_FAILED' as const, message: 'no drafts here' }),
  };
}

/** Evidence that only counts: isolates the HTTP, policy and SQLite cost from fsync'd appends. */
function countingEvidence(): EvidenceLog {
  let seq = 0;
  return {
    append: async () => ({ seq: seq++, hash: 'sha256:0' }),
    blind: (v) => `blind:${v.length}`,
    close: async () => undefined,
  };
}

async function governedApp(dir: string, scenario: Exclude<Scenario, 'bare'>, key: string) {
  // The shipped draft_assist policy, with automatic lockdown off so a stream of denials stays on one path.
  const policyFile = join(dir, 'policy.yaml');
  const doc = parse(readFileSync(join(REPO_ROOT, 'policies', 'draft_assist.yaml'), 'utf8')) as Record<string, unknown>;
  doc.lockdown = { denialThreshold: 0 };
  writeFileSync(policyFile, stringify(doc));
  const policy = loadPolicy(policyFile);
  const db = openStateDb({ file: join(dir, 'state.db'), migrations: CORE_MIGRATIONS });
  // Attribution only, never a shipped setting: shows what the per-commit fsync of the state database costs.
  if (scenario === 'read-nosync') db.pragma('synchronous = OFF');
  let evidence: EvidenceLog = countingEvidence();
  if (scenario === 'read-durable') {
    const keys = generateEvidenceKeys();
    evidence = await openEvidenceLog({
      dir: join(dir, 'evidence'),
      signingKey: createPrivateKey(keys.privateKeyPem),
      blindingKey: Buffer.alloc(32, 7),
      origin: 'mailwarden/bench',
    });
  }
  const proposals = createProposalService({
    db,
    policy,
    executor: fixedExecutor(),
    evidence,
    now: () => new Date(),
    newId: () => randomUUID(),
    // Reads only, under a policy that allows them: no approval is ever needed.
    approvals: async () => ({ ok: true }),
  });
  return createAgentApp({
    version: 'bench',
    proposals,
    policy,
    agents: createAgentAuthenticator([{ id: 'bench-agent', keyHash: hashAgentKey(key) }]),
    tokens: null,
    requireTokens: false,
    rateLimiter: createRateLimiter(1_000_000),
    maxBodyBytes: 64 * 1024,
    maxWaitSeconds: 0,
    log: () => undefined,
  });
}

function bareApp() {
  // What a user would otherwise run: a JSON route that reads the body and answers, nothing else.
  const app = new Hono();
  app.post('/v1/proposals', async (c) => {
    const body = (await c.req.json()) as unknown;
    return c.json({ ok: true, received: typeof body });
  });
  return app;
}

async function main(): Promise<void> {
  const scenario = ScenarioSchema.parse(process.argv[2]);
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-'));
  const key = generateAgentKey();
  const app = scenario === 'bare' ? bareApp() : await governedApp(dir, scenario, key);
  const socket = join(dir, 'agent.sock');
  const listener = await listenOnSocket(app, socket, 0o600);
  process.stdout.write(`${JSON.stringify({ socket, key })}\n`);
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
