// The live smoke script against a stand-in agent socket: usage without --live, checks, redacted transcript.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'live-smoke.ts');
const KEY = 'mwk_live_smoke_secret_key_0123456789';
let dir: string;
let server: Server;
const seen: { method: string; url: string; auth: string | undefined; body: unknown }[] = [];

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

function proposal(action: string, status: string, result?: unknown) {
  return {
    proposal: {
      id: 'p1',
      hash: 'sha256:00',
      action,
      status,
      decision: { effect: 'allow', rules: [], message: '' },
      createdAt: 'now',
      correlationId: 'c1',
      result,
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mw-smoke-'));
  server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.url === '/v1/health') return send(200, { status: 'ok', version: '0.1.0' });
    if (req.url === '/v1/catalog') return send(200, { actions: [{ action: 'gmail.send', effect: 'deny' }] });
    const action = (body as { action: string }).action;
    if (action === 'gmail.search') {
      return send(
        200,
        proposal(action, 'executed', {
          threads: [{ threadId: 't', subject: 'Top secret merger', from: 'ceo@example.com' }],
          nextPageToken: null,
        }),
      );
    }
    if (action === 'gmail.send') return send(403, proposal(action, 'denied'));
    return send(200, proposal(action, 'executed', { draftId: 'r1', messageId: 'm1', threadId: 't1' }));
  });
  await new Promise<void>((r) => server.listen(join(dir, 'agent.sock'), r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/live-smoke.ts', () => {
  it('prints usage and exits 2 without --live, contacting nothing', async () => {
    const err = await run(process.execPath, [
      '--import',
      'tsx',
      SCRIPT,
      '--socket',
      join(dir, 'agent.sock'),
      '--key',
      KEY,
    ]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('usage:');
    expect(seen).toEqual([]);
  });

  it('runs health, search, denied send and a tagged draft, and writes a redacted transcript', async () => {
    const transcript = join(dir, 'transcript.json');
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      SCRIPT,
      '--live',
      '--socket',
      join(dir, 'agent.sock'),
      '--key',
      KEY,
      '--create-draft',
      '--to',
      'owner@example.com',
      '--transcript',
      transcript,
    ]);
    expect(stdout.match(/^PASS/gm)).toHaveLength(4);
    const draft = seen.find((s) => (s.body as { action?: string })?.action === 'gmail.drafts.create');
    expect((draft?.body as { params?: { subject?: string } } | undefined)?.params?.subject).toMatch(
      /^\[mailwarden-smoke\] /,
    );
    expect(seen.filter((s) => s.url !== '/v1/health').every((s) => s.auth === `Bearer ${KEY}`)).toBe(true);
    const text = await readFile(transcript, 'utf8');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('Top secret merger');
    expect(text).not.toContain('ceo@example.com');
    expect(JSON.parse(text).results.every((r: { pass: boolean }) => r.pass)).toBe(true);
  });
});
