import { describe, expect, it } from 'vitest';
import { openStateDb } from './database.ts';
import { createWriteBatch } from './write-batch.ts';

function setup() {
  const db = openStateDb({
    file: ':memory:',
    migrations: [{ version: 1, name: 't', sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)' }],
  });
  let transactions = 0;
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...a: unknown[]) => unknown) => {
    const tx = transaction(fn);
    const counted = ((...a: unknown[]) => {
      transactions++;
      return tx(...a);
    }) as typeof tx;
    return counted;
  }) as typeof db.transaction;
  const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
  return { db, insert, transactions: () => transactions };
}

describe('write batch', () => {
  it('commits the writes asked for in one event-loop turn in one transaction, and answers each', async () => {
    const { db, insert, transactions } = setup();
    const batch = createWriteBatch(db);
    const answers = await Promise.all([1, 2, 3, 4].map((i) => batch.run(() => insert.run(i, `v${i}`).changes)));
    expect(answers).toEqual([1, 1, 1, 1]);
    expect(transactions()).toBe(1);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 4 });
  });

  it('a failing write fails alone: the others of its turn are still stored', async () => {
    const { db, insert } = setup();
    insert.run(2, 'already there');
    const batch = createWriteBatch(db);
    const results = await Promise.allSettled([1, 2, 3].map((i) => batch.run(() => insert.run(i, `v${i}`))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(db.prepare('SELECT id, v FROM t ORDER BY id').all()).toEqual([
      { id: 1, v: 'v1' },
      { id: 2, v: 'already there' },
      { id: 3, v: 'v3' },
    ]);
  });

  it('writes of a later turn go in a transaction of their own', async () => {
    const { db, insert, transactions } = setup();
    const batch = createWriteBatch(db);
    await batch.run(() => insert.run(1, 'a'));
    await batch.run(() => insert.run(2, 'b'));
    expect(transactions()).toBe(2);
  });
});
