import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkStateIntegrity, durably, isBusyError, openStateDb, StateError } from './database.ts';

const file = () => join(mkdtempSync(join(tmpdir(), 'mw-state-')), 'state.db');
const MIGRATIONS = [{ version: 1, name: 't', sql: 'CREATE TABLE t (x INTEGER)' }];

describe('state database', () => {
  it('runs in WAL mode with fsync only for durable commits', () => {
    const db = openStateDb({ file: file(), migrations: MIGRATIONS });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    const seen = durably(db, () => db.pragma('synchronous', { simple: true }));
    expect(seen).toBe(2);
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    db.close();
  });

  it('applies migrations once and refuses a database from a newer version', () => {
    const f = file();
    openStateDb({ file: f, migrations: MIGRATIONS }).close();
    const again = openStateDb({ file: f, migrations: MIGRATIONS });
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: 1 });
    again.close();
    expect(() => openStateDb({ file: f, migrations: [] })).toThrow(StateError);
  });

  it('turns another process holding the lock into a busy error quickly', () => {
    const f = file();
    const db = openStateDb({ file: f, migrations: MIGRATIONS, busyTimeoutMs: 50 });
    const other = new Database(f);
    other.exec('BEGIN EXCLUSIVE');
    const t0 = Date.now();
    let caught: unknown;
    try {
      db.prepare('INSERT INTO t (x) VALUES (1)').run();
    } catch (err) {
      caught = err;
    }
    other.exec('ROLLBACK');
    expect(isBusyError(caught)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    other.close();
    db.close();
  });

  it("checks a large state in a worker thread: ok when sound, SQLite's finding when a page is damaged", async () => {
    const f = file();
    const db = openStateDb({ file: f, migrations: [{ version: 1, name: 't', sql: 'CREATE TABLE t (x TEXT)' }] });
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'x'.repeat(100)}`);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(await checkStateIntegrity(f)).toBe('ok');
    const fd = openSync(f, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096 * 5);
    closeSync(fd);
    expect(await checkStateIntegrity(f)).not.toBe('ok');
    expect(() =>
      openStateDb({ file: f, migrations: [{ version: 1, name: 't', sql: 'CREATE TABLE t (x TEXT)' }] }),
    ).toThrow(/integrity check/);
  });
});
