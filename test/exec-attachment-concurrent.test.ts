// Concurrent reads of the same attachment through the real executor and the fake gog: each call gets its own
// output file, so none collides with another, and no file outlives its call.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_GOG_BINARY, prepareFakeGogHome } from '../sidecar/exec/fake-gog-home.ts';
import { createGogExecutor, type GogConfig } from '../sidecar/exec/index.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

describe('concurrent attachment reads', () => {
  it('24 identical reads at once all succeed with the whole file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mw-att-'));
    roots.push(root);
    const home = join(root, 'gog');
    await prepareFakeGogHome(home);
    const cfg: GogConfig = {
      binary: FAKE_GOG_BINARY,
      home,
      account: 'owner@example.com',
      timeoutMs: 20_000,
      maxOutputBytes: 4_000_000,
      noSend: false,
      wrapUntrusted: false,
    };
    const executor = createGogExecutor(cfg);
    const params = { messageId: '18c1a000000010a1', attachmentId: 'ANGjdJ8invoice02' };
    const outcomes = await Promise.all(Array.from({ length: 24 }, () => executor.execute('gmail.attachment', params)));
    const failed = outcomes.filter((o) => !o.ok).map((o) => (o.ok ? '' : `${o.code}: ${o.message}`));
    expect(failed).toEqual([]);
    for (const o of outcomes) {
      const r = (o.ok ? o.result : null) as { attachment: { dataBase64: string } } | null;
      expect(Buffer.from(r?.attachment.dataBase64 ?? '', 'base64').length).toBe(8192);
    }
    expect(await readdir(join(home, 'mailwarden-attachments'))).toEqual([]);
  }, 60_000);
});
