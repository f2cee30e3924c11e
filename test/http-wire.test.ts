// The HTTP layer on a real unix socket: correlation ids on every answer without re-streaming it, and the
// documented JSON error body even for requests Node's own HTTP parser refuses.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppEnv, correlation, notFound } from '../sidecar/http/common.ts';
import { HttpError, toErrorResponse } from '../sidecar/http/errors.ts';
import { listenOnSocket, type SocketListener } from '../sidecar/http/socket.ts';
import { call } from './support/http.ts';

let dir: string;
let listener: SocketListener;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-wire-'));
  const app = new Hono<AppEnv>();
  app.onError((err, c) => toErrorResponse(c, err, () => undefined));
  app.use('*', correlation());
  notFound(app);
  app.get('/ok', (c) => c.json({ ok: true }));
  app.get('/refused', () => {
    throw new HttpError('INVALID_INPUT', 'x: must be a number');
  });
  listener = await listenOnSocket(app, join(dir, 's.sock'), 0o600);
});

afterAll(async () => {
  await listener.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends raw bytes and returns the whole raw answer (the server closes after a parser error). */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(listener.path);
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e),
    );
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.write(bytes);
    setTimeout(() => s.end(), 200);
  });
}

function parseRaw(text: string): { status: number; headers: string; body: unknown } {
  const [head, ...rest] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1] ?? 0);
  return { status, headers: head ?? '', body: JSON.parse(rest.join('\r\n\r\n')) as unknown };
}

describe('correlation ids', () => {
  it.each(['/ok', '/refused', '/missing'])(
    '%s carries the id and a Content-Length, not a re-streamed body',
    async (path) => {
      const res = await call(listener.path, 'GET', path, { headers: { 'x-correlation-id': 'abc-123' } });
      expect(res.headers['x-correlation-id']).toBe('abc-123');
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    },
  );

  it('makes one up when the caller sends none or a bad one', async () => {
    const res = await call(listener.path, 'GET', '/ok', { headers: { 'x-correlation-id': 'bad id with spaces' } });
    expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("requests Node's HTTP parser refuses", () => {
  it('answers huge headers with 431 and the JSON error body', async () => {
    const text = await raw(`GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    const res = parseRaw(text);
    expect(res.status).toBe(431);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    expect(res.body).toMatchObject({ error: { code: 'HEADERS_TOO_LARGE', correlationId: expect.any(String) } });
  });

  it.each([
    ['TRACE with a body', 'TRACE /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', 404, 'NOT_FOUND'],
    [
      'TRACE with a chunked body',
      'TRACE /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      404,
      'NOT_FOUND',
    ],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 404, 'NOT_FOUND'],
    ['a request without Host', 'GET /missing HTTP/1.1\r\n\r\n', 404, 'NOT_FOUND'],
    ['an asterisk request target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['an absolute request target', 'GET http://example.com/ok HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['an unknown method', 'BREW /ok HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a broken request line', 'GET /ok HTTP/9\r\n\r\n', 400, 'BAD_REQUEST'],
    ['a bad header', 'GET /ok HTTP/1.1\r\nHo st: x\r\n\r\n', 400, 'BAD_REQUEST'],
    [
      'two content lengths',
      'POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      400,
      'BAD_REQUEST',
    ],
  ])('answers %s with the JSON error body', async (_name, bytes, status, code) => {
    const res = parseRaw(await raw(bytes));
    expect(res.status).toBe(status);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    expect(res.body).toMatchObject({ error: { code, message: expect.stringMatching(/\w/) } });
  });
});

describe('lone UTF-16 surrogates', () => {
  it('are refused with 400 INVALID_INPUT naming the field, in values and keys, at any depth', async () => {
    const { loneSurrogateAt } = await import('../sidecar/http/common.ts');
    expect(loneSurrogateAt({ params: { body: 'a\ud800' } }, '')).toBe('params.body');
    expect(loneSurrogateAt({ params: { to: ['ok', 'x\udfff'] } }, '')).toBe('params.to.1');
    expect(loneSurrogateAt({ session: { ['k\ud800']: 1 } }, '')).toBe('session.k\ud800');
    expect(loneSurrogateAt({ ok: 'emoji \ud83d\ude00 fine' }, '')).toBeNull();
    expect(loneSurrogateAt('\ud800', '')).toBe('');
  });
});
