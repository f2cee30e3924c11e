// Lockdown state and denial counting in SQLite: global or per principal, persisted across restarts.
import type { LockdownState } from '../policy/index.ts';
import type { StateDb } from '../state/index.ts';

export function createLockdownStore(db: StateDb) {
  const put = db.prepare('INSERT OR REPLACE INTO lockdowns (scope, reason, since, actor) VALUES (?, ?, ?, ?)');
  const del = db.prepare('DELETE FROM lockdowns WHERE scope = ?');
  const delAll = db.prepare('DELETE FROM lockdowns');
  const all = db.prepare('SELECT scope, reason, since, actor FROM lockdowns ORDER BY scope');
  const addDenial = db.prepare('INSERT INTO denials (principal, at) VALUES (?, ?)');
  // Both use the (principal, at) index: their cost depends on one principal's recent denials, never on the table.
  const recentDenials = db.prepare('SELECT at FROM denials WHERE principal = ? AND at > ? ORDER BY at DESC LIMIT ?');
  const pruneDenials = db.prepare('DELETE FROM denials WHERE principal = ? AND at <= ?');

  /**
   * Per principal, the times (ms) of its newest denials, oldest first, at most `threshold` of them: enough to
   * tell whether `threshold` fall inside the window. Filled from the table the first time a principal is seen.
   */
  const recent = new Map<string, number[]>();
  /** Denials not yet in the table, and the oldest time each touched principal still needs. */
  let pending: [string, string][] = [];
  const prune = new Map<string, string>();
  let flushScheduled = false;

  // Written once per event-loop turn in one transaction, so a flood of denials costs one commit per turn.
  // The count itself lives in memory; the table only carries it across a restart.
  const flush = db.transaction((rows: [string, string][], cut: Map<string, string>) => {
    for (const [principal, at] of rows) addDenial.run(principal, at);
    for (const [principal, before] of cut) pruneDenials.run(principal, before);
  });
  function scheduleFlush(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      const rows = pending;
      const cut = new Map(prune);
      pending = [];
      prune.clear();
      try {
        if (db.open) flush(rows, cut);
      } catch {
        // Only the restart-proof copy of the count is lost (a full or failing disk); the in-memory count
        // still locks the principal, and the proposals themselves are stored with their own error handling.
      }
    });
  }

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
    /**
     * Notes one denial at `at` and returns how many of the principal's denials fall after `windowStart`,
     * counting at most `threshold` (enough to decide a lockdown). O(1) per call however many are stored.
     */
    noteDenial(principal: string, at: string, windowStart: string, threshold = 10_000): number {
      const cap = Math.max(1, threshold);
      const start = Date.parse(windowStart);
      let times = recent.get(principal);
      if (!times) {
        const rows = recentDenials.all(principal, windowStart, cap) as { at: string }[];
        times = rows.map((r) => Date.parse(r.at)).reverse();
        recent.set(principal, times);
      }
      times.push(Date.parse(at));
      while (times.length > 0 && (times.length > cap || times[0]! <= start)) times.shift();
      pending.push([principal, at]);
      // Keeps the table to what the in-memory list holds: the newest `cap` inside the window.
      const oldestKept = times.length >= cap ? new Date(times[0]! - 1).toISOString() : windowStart;
      prune.set(principal, oldestKept < windowStart ? windowStart : oldestKept);
      scheduleFlush();
      return times.length;
    },
  };
}

export type LockdownStore = ReturnType<typeof createLockdownStore>;
