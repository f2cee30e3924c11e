// Lockdown state and denial counting in SQLite: global or per principal, persisted across restarts.
import type { LockdownState } from '../policy/index.ts';
import type { StateDb } from '../state/index.ts';

export function createLockdownStore(db: StateDb) {
  const put = db.prepare('INSERT OR REPLACE INTO lockdowns (scope, reason, since, actor) VALUES (?, ?, ?, ?)');
  const del = db.prepare('DELETE FROM lockdowns WHERE scope = ?');
  const delAll = db.prepare('DELETE FROM lockdowns');
  const all = db.prepare('SELECT scope, reason, since, actor FROM lockdowns ORDER BY scope');
  const addDenial = db.prepare('INSERT INTO denials (principal, at) VALUES (?, ?)');
  const countDenials = db.prepare('SELECT COUNT(*) AS n FROM denials WHERE principal = ? AND at > ?');
  const pruneDenials = db.prepare('DELETE FROM denials WHERE at <= ?');

  // Lockdowns change only through this store, so reads come from memory (every proposal asks); the table
  // is the durable copy, read once at start.
  const cache = new Map<string, { reason: string }>(
    (all.all() as { scope: string; reason: string }[]).map((r) => [r.scope, { reason: r.reason }]),
  );
  const reasonOf = (scope: string): { reason: string } | null => cache.get(scope) ?? null;

  return {
    state(principal: string): LockdownState {
      return { global: reasonOf('global'), principal: reasonOf(`principal:${principal}`) };
    },
    isLocked(scope: string): boolean {
      return reasonOf(scope) !== null;
    },
    set(scope: string, reason: string, since: string, actor: string): void {
      put.run(scope, reason, since, actor);
      cache.set(scope, { reason });
    },
    /** Lifting a global lockdown lifts every per-principal one too: the operator's word is final. */
    clear(scope: string): void {
      if (scope === 'global') {
        delAll.run();
        cache.clear();
      } else {
        del.run(scope);
        cache.delete(scope);
      }
    },
    list(): { scope: string; reason: string; since: string; actor: string }[] {
      return all.all() as { scope: string; reason: string; since: string; actor: string }[];
    },
    noteDenial(principal: string, at: string, windowStart: string): number {
      const tx = db.transaction(() => {
        pruneDenials.run(windowStart);
        addDenial.run(principal, at);
        return (countDenials.get(principal, windowStart) as { n: number }).n;
      });
      return tx();
    },
  };
}

export type LockdownStore = ReturnType<typeof createLockdownStore>;
