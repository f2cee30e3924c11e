// Denial counting for automatic lockdown: exact over its window, persisted, and at a cost that does not grow
// with the number of stored denials (no statement on the hot path may scan the denials table).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLockdownStore } from '../sidecar/lockdown/index.ts';
import { CORE_MIGRATIONS, openStateDb, type StateDb } from '../sidecar/state/index.ts';

const dirs: string[] = [];
const dbs: StateDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'mw-lockdown-'));
  if (!dir) dirs.push(d);
  const db = openStateDb({ file: join(d, 'state.db'), migrations: CORE_MIGRATIONS });
  dbs.push(db);
  return { dir: d, db };
}

const T0 = Date.parse('2026-11-30T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const WINDOW = { windowMs: 60_000, threshold: 3 };

function note(store: ReturnType<typeof createLockdownStore>, principal: string, at: number): number {
  return store.noteDenial(principal, iso(at), iso(at - WINDOW.windowMs), WINDOW.threshold);
}

const settle = () => new Promise((r) => setImmediate(r));

describe('denial counting', () => {
  it('counts denials inside the window only, per principal', () => {
    const { db } = open();
    const store = createLockdownStore(db);
    expect(note(store, 'a', T0)).toBe(1);
    expect(note(store, 'b', T0 + 1)).toBe(1);
    expect(note(store, 'a', T0 + 30_000)).toBe(2);
    // The first denial of a has left the window.
    expect(note(store, 'a', T0 + 60_500)).toBe(2);
    expect(note(store, 'a', T0 + 61_000)).toBe(3);
  });

  it('keeps the count across a restart', async () => {
    const { dir, db } = open();
    const store = createLockdownStore(db);
    note(store, 'a', T0);
    note(store, 'a', T0 + 1000);
    await settle();
    db.close();
    const again = open(dir);
    expect(note(createLockdownStore(again.db), 'a', T0 + 2000)).toBe(3);
  });

  it('runs no statement that scans the denials table, whatever is stored', async () => {
    const { db } = open();
    const insert = db.prepare('INSERT INTO denials (principal, at) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(`p${i % 50}`, iso(T0 - 3600_000 + i));
    })();
    const seen: string[] = [];
    const prepare = db.prepare.bind(db);
    (db as { prepare: unknown }).prepare = (sql: string) => {
      seen.push(sql);
      return prepare(sql);
    };
    const store = createLockdownStore(db);
    for (let i = 0; i < 20; i++) note(store, `p${i % 3}`, T0 + i);
    await settle();
    const touching = seen.filter((s) => /\bdenials\b/.test(s));
    expect(touching.length).toBeGreaterThan(0);
    for (const sql of touching) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...placeholders(sql)) as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
      expect(plan, sql).not.toMatch(/SCAN denials(?! USING)/);
    }
  });

  it('caps what it keeps per principal at the threshold', async () => {
    const { db } = open();
    const store = createLockdownStore(db);
    for (let i = 0; i < 50; i++) note(store, 'a', T0 + i);
    await settle();
    const n = (db.prepare("SELECT COUNT(*) AS n FROM denials WHERE principal = 'a'").get() as { n: number }).n;
    expect(n).toBeLessThanOrEqual(WINDOW.threshold);
  });
});

function placeholders(sql: string): null[] {
  return Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
}
