import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentClient } from './agent-client.ts';
import { resolveAgentKey } from './key-source.ts';

let dir: string;
let server: Server | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-client-'));
});
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const socketPath = join(dir, 'agent.sock');
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
  return socketPath;
}

describe('createAgentClient', () => {
  it('sends the configured key and JSON body over the unix socket', async () => {
    const seen: { auth?: string | undefined; body?: string; path?: string | undefined } = {};
    const socketPath = await listen((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        Object.assign(seen, { auth: req.headers.authorization, body, path: req.url });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"x":1}');
      });
    });
    const client = createAgentClient({ socketPath, agentKey: 'key-abc' });
    const r = await client.request('POST', '/v1/proposals', { body: { a: 1 } });
    expect(r).toEqual({ ok: true, httpStatus: 202, body: { x: 1 } });
    expect(seen).toEqual({ auth: 'Bearer key-abc', body: '{"a":1}', path: '/v1/proposals' });
  });

  it('reports an absent sidecar as unreachable', async () => {
    const client = createAgentClient({ socketPath: join(dir, 'missing.sock'), agentKey: 'k' });
    const r = await client.request('GET', '/v1/health');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.kind).toBe('unreachable');
      expect(r.failure.message).toContain('ENOENT');
    }
  });

  it('gives up after the timeout', async () => {
    const socketPath = await listen(() => {
      /* never answers */
    });
    const client = createAgentClient({ socketPath, agentKey: 'k', timeoutMs: 200 });
    const r = await client.request('GET', '/v1/health');
    expect(r).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
  });

  it('refuses an answer over the body cap', async () => {
    const socketPath = await listen((_req, res) => res.end(JSON.stringify({ big: 'x'.repeat(10_000) })));
    const client = createAgentClient({ socketPath, agentKey: 'k', maxBodyBytes: 1_000 });
    expect(await client.request('GET', '/v1/catalog')).toMatchObject({ ok: false, failure: { kind: 'too_large' } });
  });

  it('refuses an answer that is not JSON', async () => {
    const socketPath = await listen((_req, res) => res.end('<html>ok</html>'));
    const client = createAgentClient({ socketPath, agentKey: 'k' });
    expect(await client.request('GET', '/v1/catalog')).toMatchObject({ ok: false, failure: { kind: 'not_json' } });
  });

  it('stops when the caller aborts', async () => {
    const socketPath = await listen(() => {
      /* never answers */
    });
    const client = createAgentClient({ socketPath, agentKey: 'k' });
    const controller = new AbortController();
    const pending = client.request('GET', '/v1/health', { signal: controller.signal });
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, failure: { kind: 'aborted' } });
  });

  it.each([
    ['a relative socket path', { socketPath: 'agent.sock', agentKey: 'k' }],
    ['an empty key', { socketPath: '/run/a.sock', agentKey: '  ' }],
    ['a key with a newline', { socketPath: '/run/a.sock', agentKey: 'a\nb' }],
  ])('refuses %s', (_name, options) => {
    expect(() => createAgentClient(options)).toThrow(TypeError);
  });

  it('only talks to /v1/ paths', () => {
    const client = createAgentClient({ socketPath: '/run/a.sock', agentKey: 'k' });
    expect(() => client.request('GET', 'http://evil.example/v1/health')).toThrow(TypeError);
  });
});

describe('resolveAgentKey', () => {
  it('reads and trims a key file', () => {
    const file = join(dir, 'agent.key');
    writeFileSync(file, 'secret-key\n', { mode: 0o600 });
    expect(resolveAgentKey({ agentKeyFile: file })).toEqual({ ok: true, agentKey: 'secret-key' });
  });

  it.each([
    [{}, 'no agent key'],
    [{ agentKey: 'a', agentKeyFile: '/x' }, 'not both'],
    [{ agentKeyFile: '/nonexistent/agent.key' }, 'cannot read key file'],
    [{ agentKey: ' ' }, 'empty'],
  ])('explains a bad key source %j', (source, message) => {
    const r = resolveAgentKey(source);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });
});
