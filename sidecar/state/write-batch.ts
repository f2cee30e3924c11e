// Groups the state writes asked for in one event-loop turn into one transaction: one commit for a burst of
// proposals instead of one each. Every caller still waits for its own write to be committed.
import type { StateDb } from './database.ts';

interface Queued {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export interface WriteBatch {
  /** Runs `fn` inside this turn's transaction; resolves with its value once that transaction committed. */
  run<T>(fn: () => T): Promise<T>;
}

export function createWriteBatch(db: StateDb): WriteBatch {
  let queue: Queued[] = [];
  let scheduled = false;

  const all = db.transaction((items: readonly Queued[]) => items.map((q) => q.fn()));

  function flush(): void {
    scheduled = false;
    const items = queue;
    queue = [];
    let values: unknown[];
    try {
      values = all(items);
    } catch {
      // One write failed and the turn's transaction rolled back: each write then runs on its own, so each
      // caller gets its own answer and one bad row never costs the others theirs.
      for (const q of items) {
        try {
          q.resolve(db.transaction(q.fn)());
        } catch (err) {
          q.reject(err);
        }
      }
      return;
    }
    for (const [i, q] of items.entries()) q.resolve(values[i]);
  }

  return {
    run<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
