// The state database's WAL is checkpointed by a worker thread, never by a commit on the event loop.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CORE_MIGRATIONS, openStateDb, type StateDb, startWalCheckpointer } from '../sidecar/state/index.ts';

const dirs: string[] = [];
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(): { db: StateDb; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mw-ckpt-'));
  dirs.push(dir);
  const file = join(dir, 'state.db');
  const db = openStateDb({ file, migrations: CORE_MIGRATIONS });
  cleanup.push(() => {
    db.close();
  });
  return { db, file };
}

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return ok();
};

describe('WAL checkpoints off the event loop', () => {
  it('turns auto-checkpointing off on the main connection and checkpoints in a worker', async () => {
    const { db, file } = open();
    const ckpt = await startWalCheckpointer(db, file, { intervalMs: 50 });
    cleanup.push(() => ckpt.stop());
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const put = db.prepare('INSERT INTO denials (principal, at) VALUES (?, ?)');
    for (let i = 0; i < 3000; i++) put.run(`p${i}`, new Date().toISOString());
    expect(await until(() => ckpt.stats().checkpointedFrames > 0)).toBe(true);
    const s = ckpt.stats();
    expect(s.failures).toBe(0);
    expect(s.runs).toBeGreaterThan(0);
  });

  it('leaves an empty WAL behind when stopped', async () => {
    const { db, file } = open();
    const ckpt = await startWalCheckpointer(db, file, { intervalMs: 1000 });
    const put = db.prepare('INSERT INTO denials (principal, at) VALUES (?, ?)');
    for (let i = 0; i < 500; i++) put.run(`p${i}`, new Date().toISOString());
    await ckpt.stop();
    expect(statSync(`${file}-wal`).size).toBe(0);
  });
});
