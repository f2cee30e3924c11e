// The head file of one group commit is made durable beside the next group's write and sync, never before its
// own records' sync, and nothing is acknowledged before its head is durable.
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EvidenceFsOps, nodeFsOps } from './fs-ops.ts';
import { generateEvidenceKeys } from './keys.ts';
import { openEvidenceLog } from './open.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('group commit and the head file', () => {
  it("writes and syncs the next group while the previous group's head is being synced", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-head-'));
    dirs.push(dir);
    const real = nodeFsOps();
    const ops: string[] = [];
    let headFd = -1;
    let hold: (() => void) | null = null;
    let holding = false;
    const fsOps: EvidenceFsOps = {
      ...real,
      async write(fd, data) {
        ops.push('write');
        return real.write(fd, data);
      },
      async pwrite(fd, data, position) {
        headFd = fd;
        ops.push('head');
        return real.pwrite(fd, data, position);
      },
      async fsync(fd) {
        if (fd === headFd && holding) {
          ops.push('head-sync-held');
          await new Promise<void>((r) => {
            hold = r;
          });
        } else ops.push(fd === headFd ? 'head-sync' : 'sync');
        return real.fsync(fd);
      },
    };
    const log = await openEvidenceLog({
      dir: join(dir, 'evidence'),
      signingKey: createPrivateKey(generateEvidenceKeys().privateKeyPem),
      blindingKey: randomBytes(32),
      origin: 'mailwarden/test',
      fsOps,
    });
    ops.length = 0;
    holding = true;
    let firstAcked = false;
    const first = log.append({ type: 'decision', data: { n: 1 } }).then((r) => {
      firstAcked = true;
      return r;
    });
    // Wait until the first group's head sync is in progress.
    while (!hold) await new Promise((r) => setTimeout(r, 5));
    holding = false;
    const second = log.append({ type: 'decision', data: { n: 2 } });
    while (ops.filter((o) => o === 'sync').length < 2) await new Promise((r) => setTimeout(r, 5));
    // The second group reached its records' sync while the first group's head sync was still held ...
    expect(ops).toEqual(['write', 'sync', 'head', 'head-sync-held', 'write', 'sync']);
    // ... and the first group is not acknowledged while its head is not durable.
    expect(firstAcked).toBe(false);
    (hold as unknown as () => void)();
    const [a, b] = await Promise.all([first, second]);
    expect(b.seq).toBe(a.seq + 1);
    // The second group's head follows the first's.
    expect(ops.slice(6)).toEqual(['head', 'head-sync']);
    await log.close();
  });
});
