// The per-principal taint store on a real SQLite file: what it remembers, for how long, how much, and that a
// read appends what is new instead of rewriting everything remembered so far.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shingles } from '../sidecar/content/index.ts';
import { createTaintStore, GUARD_MIGRATIONS } from '../sidecar/guard/index.ts';
import { CORE_MIGRATIONS, openStateDb, type StateDb } from '../sidecar/state/index.ts';
import { original } from './support/messages.ts';

const dirs: string[] = [];
const dbs: StateDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'mw-taint-'));
  if (!dir) dirs.push(d);
  const db = openStateDb({ file: join(d, 'state.db'), migrations: [...CORE_MIGRATIONS, ...GUARD_MIGRATIONS] });
  dbs.push(db);
  return { dir: d, db };
}

const clock = { now: new Date('2026-11-30T12:00:00Z') };
const now = () => new Date(clock.now);
/** A body of `n` distinct words: n - 7 distinct 8-word windows. */
const bodyOf = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const read = (body: string) => ({ message: original({ body }) });
const INTERNAL = ['corp.example'];

describe('taint store', () => {
  it('remembers external reads, codes and fingerprints per principal, across a restart', () => {
    const { dir, db } = open();
    const store = createTaintStore(db, now);
    store.note('a', 'gmail.get', read(`Your code is 482913. ${bodyOf(20, 'w')}`), INTERNAL);
    store.note('a', 'gmail.get', read(bodyOf(12, 'v')), INTERNAL);
    const got = store.get('a');
    expect(got.readExternal).toBe(true);
    expect(got.readCodes).toContain('482913');
    for (const s of shingles(bodyOf(12, 'v'))) expect(new Set(got.readShingles).has(s)).toBe(true);
    expect(store.get('b')).toMatchObject({ readExternal: false, readCodes: [] });
    db.close();
    const again = createTaintStore(open(dir).db, now).get('a');
    expect(again.readCodes).toContain('482913');
    expect([...again.readShingles].length).toBe([...got.readShingles].length);
  });

  it('forgets a principal 24 h after its last read', () => {
    const { db } = open();
    const store = createTaintStore(db, now);
    store.note('a', 'gmail.get', read(bodyOf(20, 'w')), INTERNAL);
    clock.now = new Date(clock.now.getTime() + 25 * 3600 * 1000);
    expect([...store.get('a').readShingles]).toEqual([]);
    expect(store.get('a').readExternal).toBe(false);
  });

  it('appends what is new: a small read after 20,000 fingerprints writes kilobytes, not the whole set', () => {
    const { dir, db } = open();
    const store = createTaintStore(db, now);
    store.note('a', 'gmail.get', read(bodyOf(20_007, 'w')), INTERNAL);
    db.pragma('wal_checkpoint(TRUNCATE)');
    store.note('a', 'gmail.get', read(bodyOf(30, 'x')), INTERNAL);
    const wal = statSync(join(dir, 'state.db-wal')).size;
    expect(wal).toBeLessThan(64 * 1024);
    expect(new Set(store.get('a').readShingles).size).toBe(20_000 + 23);
  });

  it('keeps at most 50,000 fingerprints per principal, dropping the oldest', () => {
    const { dir, db } = open();
    const store = createTaintStore(db, now);
    store.note('a', 'gmail.get', read(bodyOf(40_007, 'w')), INTERNAL);
    store.note('a', 'gmail.get', read(bodyOf(20_007, 'y')), INTERNAL);
    const newest = shingles(bodyOf(20_007, 'y'));
    const kept = new Set(store.get('a').readShingles);
    expect(kept.size).toBeLessThanOrEqual(50_000);
    for (const s of newest) expect(kept.has(s)).toBe(true);
    db.close();
    const again = new Set(createTaintStore(open(dir).db, now).get('a').readShingles);
    expect(again.size).toBe(kept.size);
  });
});

describe('taint store upgrade', () => {
  it('folds the older one-row-per-principal layout in, once', () => {
    const { db } = open();
    db.prepare('INSERT INTO principal_taint (principal, taint, updated_at) VALUES (?, ?, ?)').run(
      'a',
      JSON.stringify({ readExternal: true, readCodes: ['123456'], readShingles: ['abc', 'def'] }),
      clock.now.toISOString(),
    );
    const got = createTaintStore(db, now).get('a');
    expect(got).toMatchObject({ readExternal: true, readCodes: ['123456'] });
    expect([...got.readShingles]).toEqual(['abc', 'def']);
    expect(db.prepare('SELECT COUNT(*) AS n FROM principal_taint').get()).toEqual({ n: 0 });
  });
});
