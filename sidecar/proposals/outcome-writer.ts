// Stores execution outcomes in state, and keeps them when another process holds the state database's lock.
import { isBusyError } from '../state/index.ts';
import type { ProposalRepository } from './repository.ts';

export interface Outcome {
  readonly id: string;
  readonly status: 'executed' | 'failed';
  readonly result: string | null;
  readonly error: string | null;
}

export interface OutcomeWriterDeps {
  readonly repo: ProposalRepository;
  readonly now: () => string;
  /** Told when a kept outcome finally reached state. */
  readonly stored: (id: string) => void;
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * INVARIANT: an outcome gog reported is never dropped. It is stored at once when it can be; while state is
 * locked it is kept in memory, retried on a timer and before every read (`flush`), and in the meantime the
 * claim keeps the proposal from ever running again.
 */
export function createOutcomeWriter(deps: OutcomeWriterDeps) {
  const pending = new Map<string, Outcome>();
  let timer: NodeJS.Timeout | null = null;
  const write = (o: Outcome) => deps.repo.finish(o.id, o.status, o.result, o.error, deps.now());

  function flush(): void {
    for (const [id, o] of pending) {
      try {
        write(o);
        pending.delete(id);
        deps.stored(id);
      } catch (err) {
        if (!isBusyError(err)) {
          pending.delete(id);
          deps.onError?.(err, `storing the outcome of ${id}`);
        }
        return;
      }
    }
  }

  function schedule(): void {
    if (timer) return;
    timer = setInterval(() => {
      flush();
      if (pending.size === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
    }, 200);
    timer.unref();
  }

  return {
    /** True when stored now; false when kept for later because state stayed locked through a few retries. */
    async store(o: Outcome, attempts = 5): Promise<boolean> {
      for (let i = 0; i < attempts; i++) {
        try {
          write(o);
          return true;
        } catch (err) {
          if (!isBusyError(err)) throw err;
          await new Promise((r) => setTimeout(r, 50 * 2 ** i));
        }
      }
      pending.set(o.id, o);
      schedule();
      return false;
    },
    flush(): void {
      if (pending.size > 0) flush();
    },
  };
}
