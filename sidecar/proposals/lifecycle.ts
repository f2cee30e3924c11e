// The one place a stored proposal changes: every change is a transition of the table (transitions.ts), written
// in the table's evidence order, then announced to whoever waits on the proposal.
import { EventEmitter } from 'node:events';
import type { EvidenceEvent, EvidenceLog } from '../evidence/index.ts';
import { isBusyError } from '../state/index.ts';
import { ProposalError } from './errors.ts';
import type { MoveFields, ProposalRepository, ProposalRow } from './repository.ts';
import { SETTLE_BY_STATUS, TRANSITIONS, type TransitionName } from './transitions.ts';

/** How a claimed proposal ended, and the evidence that says so. */
export type Outcome =
  | { readonly status: 'executed'; readonly result: string; readonly evidence: EvidenceEvent }
  | {
      readonly status: 'failed' | 'outcome_unknown';
      readonly error: { readonly code: string; readonly message: string };
      readonly evidence: EvidenceEvent;
    };

export interface LifecycleDeps {
  readonly repo: ProposalRepository;
  readonly evidence: EvidenceLog;
  readonly now: () => string;
  readonly onError?: (err: unknown, context: string) => void;
}

export function createLifecycle(deps: LifecycleDeps) {
  const { repo } = deps;
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const emit = (id: string) => changes.emit(id);
  /** Outcomes gog reported while state was locked by another process: kept, retried, never dropped. */
  const unsettled = new Map<string, { name: TransitionName; fields: MoveFields }>();
  let retry: NodeJS.Timeout | null = null;

  async function record(event: EvidenceEvent): Promise<void> {
    try {
      await deps.evidence.append(event);
    } catch (err) {
      // SECURITY: fail closed. Nothing proceeds that cannot be evidenced.
      throw new ProposalError(
        'EVIDENCE_UNAVAILABLE',
        'the evidence log cannot be written, so mailwarden refuses to act (fail closed); the operator must check disk space and permissions of the evidence folder',
        { cause: err },
      );
    }
  }

  /** Evidence of something that already happened: a failure to write it must not hide it from state. */
  async function recordSafely(event: EvidenceEvent): Promise<void> {
    try {
      await deps.evidence.append(event);
    } catch (err) {
      deps.onError?.(err, `evidence append of ${event.type} for ${event.proposalId ?? '-'}`);
    }
  }

  /**
   * A transition with its evidence, in the order the table gives. False when the proposal had already moved
   * on (another caller won), in which case nothing was changed.
   */
  async function move(id: string, name: TransitionName, event: EvidenceEvent, fields: MoveFields = {}) {
    const t = TRANSITIONS[name];
    if (t.evidence === 'before') await record(event);
    if (t.evidence === 'before_best_effort') await recordSafely(event);
    const moved = repo.move(id, name, deps.now(), fields);
    if (moved && t.evidence === 'after') await record(event);
    if (moved) emit(id);
    return moved;
  }

  /** The at-most-once lock: true for exactly one caller per proposal. Its evidence is written by the caller. */
  function claim(id: string, durable: boolean): boolean {
    const claimed = repo.move(id, 'claim', deps.now(), { durable });
    if (claimed) emit(id);
    return claimed;
  }

  function settle(id: string, name: TransitionName, fields: MoveFields): void {
    repo.move(id, name, deps.now(), fields);
  }

  function flush(): void {
    for (const [id, s] of unsettled) {
      try {
        settle(id, s.name, s.fields);
        unsettled.delete(id);
        emit(id);
      } catch (err) {
        if (!isBusyError(err)) {
          unsettled.delete(id);
          deps.onError?.(err, `storing the outcome of ${id}`);
        }
        return;
      }
    }
  }

  /**
   * Settles a claimed proposal: evidence first, then state, then whoever waits is told. INVARIANT: an outcome
   * is never dropped. While another process holds state's lock it is retried a few times, then kept in memory
   * and retried on a timer and before every read; the claim keeps the proposal from ever running again.
   * Returns false when the outcome is in evidence but not yet in state.
   */
  async function finish(row: ProposalRow, outcome: Outcome, opts: { evidence?: 'required' } = {}): Promise<boolean> {
    if (opts.evidence === 'required') await record(outcome.evidence);
    else await recordSafely(outcome.evidence);
    const name = SETTLE_BY_STATUS[outcome.status];
    const fields: MoveFields =
      outcome.status === 'executed' ? { result: outcome.result } : { error: JSON.stringify(outcome.error) };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        settle(row.id, name, fields);
        emit(row.id);
        return true;
      } catch (err) {
        if (!isBusyError(err)) throw err;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
    unsettled.set(row.id, { name, fields });
    if (!retry) {
      retry = setInterval(() => {
        flush();
        if (unsettled.size === 0 && retry) {
          clearInterval(retry);
          retry = null;
        }
      }, 200);
      retry.unref();
    }
    emit(row.id);
    return false;
  }

  return {
    record,
    recordSafely,
    move,
    claim,
    finish,
    /** Stores kept outcomes that state refused earlier; called before every read. */
    flush(): void {
      if (unsettled.size > 0) flush();
    },
    changes,
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
