// Delivers notifications out of band: bounded attempts with backoff, evidence for each, health for posture.
import { createHash } from 'node:crypto';
import type { EvidenceEvent } from '../evidence/index.ts';
import type { NotificationPayload } from './payload.ts';
import { DeliveryFailure, type Sink } from './sinks.ts';

export interface NotifierOptions {
  readonly sinks: readonly Sink[];
  readonly attempts: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
  readonly record: (event: EvidenceEvent) => Promise<unknown>;
  readonly now: () => Date;
  readonly onError?: (err: unknown, context: string) => void;
}

/** How one sink has been doing since the sidecar started. */
export interface SinkHealth {
  readonly name: string;
  readonly kind: Sink['kind'];
  readonly delivered: number;
  /** Notifications given up on after every attempt failed. */
  readonly abandoned: number;
  /** Abandoned notifications since the last delivery. */
  readonly failingInARow: number;
  readonly lastFailure: string | null;
  readonly lastDeliveredAt: string | null;
}

export interface Notifier {
  /**
   * Hands a notification to every sink that wants the event and returns at once.
   * INVARIANT: never throws and never waits: a slow or broken sink cannot delay or fail the caller.
   */
  notify(payload: NotificationPayload): void;
  health(): SinkHealth[];
  /** Resolves when every delivery under way has finished (delivered or given up). */
  idle(): Promise<void>;
  /** Abandons deliveries under way (recording that) and accepts no new ones. */
  close(): Promise<void>;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  const stats = new Map(
    opts.sinks.map((s) => [
      s.name,
      {
        delivered: 0,
        abandoned: 0,
        failingInARow: 0,
        lastFailure: null as string | null,
        lastDeliveredAt: null as string | null,
      },
    ]),
  );

  async function record(event: EvidenceEvent): Promise<void> {
    try {
      await opts.record(event);
    } catch (err) {
      opts.onError?.(err, `evidence append of ${event.type}`);
    }
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });
  }

  async function attempt(sink: Sink, payload: NotificationPayload, body: string): Promise<DeliveryFailure | null> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = AbortSignal.any([timeout, stopping.signal]);
    try {
      await sink.deliver(payload, body, { signal, nowSeconds: Math.floor(opts.now().getTime() / 1000) });
      return null;
    } catch (err) {
      if (timeout.aborted) return new DeliveryFailure('timeout', `no answer within ${opts.timeoutMs} ms`);
      if (stopping.signal.aborted) return new DeliveryFailure('shutdown', 'the sidecar stopped');
      if (err instanceof DeliveryFailure) return err;
      opts.onError?.(err, `notification sink ${sink.name}`);
      return new DeliveryFailure('error', (err as Error).message);
    }
  }

  async function deliver(sink: Sink, payload: NotificationPayload, body: string): Promise<void> {
    const st = stats.get(sink.name)!;
    const bodyDigest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    let last: DeliveryFailure | null = null;
    for (let n = 1; n <= opts.attempts; n++) {
      if (n > 1) await pause(opts.backoffMs * 2 ** (n - 2));
      if (stopping.signal.aborted && n > 1) break;
      const started = performance.now();
      last = await attempt(sink, payload, body);
      await record({
        type: 'notification_attempt',
        proposalId: payload.proposalId,
        data: {
          sink: sink.name,
          kind: sink.kind,
          event: payload.event,
          attempt: n,
          of: opts.attempts,
          outcome: last ? 'failed' : 'delivered',
          ...(last ? { failure: last.code } : {}),
          durationMs: Math.round(performance.now() - started),
          bodyDigest,
        },
      });
      if (!last) {
        st.delivered++;
        st.failingInARow = 0;
        st.lastDeliveredAt = opts.now().toISOString();
        return;
      }
      if (last.code === 'shutdown') break;
    }
    st.abandoned++;
    st.failingInARow++;
    st.lastFailure = last?.code ?? 'unknown';
    await record({
      type: 'notification_failed',
      proposalId: payload.proposalId,
      data: { sink: sink.name, kind: sink.kind, event: payload.event, failure: st.lastFailure, bodyDigest },
    });
  }

  return {
    notify(payload) {
      if (stopping.signal.aborted) return;
      try {
        const body = JSON.stringify(payload);
        for (const sink of opts.sinks) {
          if (!sink.events.includes(payload.event)) continue;
          // Deliveries start on a later turn of the event loop: spawning a command or opening a connection
          // costs milliseconds, and the caller's answer (e.g. the agent's HTTP response) goes out first.
          const p = new Promise<void>((resolve) => setImmediate(resolve))
            .then(() => deliver(sink, payload, body))
            .catch((err: unknown) => opts.onError?.(err, `notify ${sink.name}`));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      } catch (err) {
        opts.onError?.(err, 'notify');
      }
    },
    health: () =>
      opts.sinks.map((s) => {
        const st = stats.get(s.name)!;
        return { name: s.name, kind: s.kind, ...st };
      }),
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      stopping.abort();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
