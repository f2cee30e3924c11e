import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../../test/support/http.ts';
import { listenOnSocket, type SocketListener } from './socket.ts';

describe('refusals the HTTP parser makes', () => {
  let dir: string;
  let listener: SocketListener;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-socket-'));
    const app = new Hono().get('/', (c) => c.text('ok'));
    listener = await listenOnSocket(app, join(dir, 's.sock'), 0o600);
  });
  afterAll(async () => {
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an oversized header block is answered 431 with the JSON body, even while the client is still sending', async () => {
    // The client sends far more than the parser reads before refusing; the answer must not be lost to a reset.
    const sizes = Array.from({ length: 48 }, (_, i) => 17_000 + ((i * 37_813) % 400_000));
    const answers = await Promise.all(
      sizes.map((n, i) =>
        sendRaw(listener.path, Buffer.from(`GET / HTTP/1.1\r\nx-big: ${'a'.repeat(n)}\r\nConnection: close\r\n\r\n`), {
          quietMs: 10_000,
          pieces: 1 + (i % 8),
        }),
      ),
    );
    const statuses = answers.map((a) => /^HTTP\/1\.1 (\d{3}) /.exec(a)?.[1] ?? 'none');
    expect(statuses).toEqual(sizes.map(() => '431'));
    for (const a of answers) expect(a).toMatch(/"code":"HEADERS_TOO_LARGE"/);
  });
});
