// Checkpoints the state database's WAL in a worker thread with its own connection, so the checkpoint's
// writes and fsyncs never stall the event loop in the middle of a request (SQLite's auto-checkpoint runs them
// inside whichever commit crosses the threshold). Durability is unchanged: commits still reach the WAL as
// before; a checkpoint only moves committed pages into the main file.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { StateDb } from './database.ts';

export interface WalCheckpointer {
  /** Counters for tests and the log: passive runs, frames moved, and failures (e.g. a full disk). */
  stats(): { runs: number; checkpointedFrames: number; failures: number; lastError: string | null };
  /** Stops the worker and leaves an empty WAL behind (a final TRUNCATE checkpoint on the main connection). */
  stop(): Promise<void>;
}

// Plain JS, evaluated in the worker: works the same from the sources and from the bundled CLI.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 50');
db.pragma('wal_autocheckpoint = 0');
let timer = null;
const run = () => {
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.code ? err.code : err) });
  }
  timer = setTimeout(run, workerData.intervalMs);
};
timer = setTimeout(run, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

type WorkerMessage = { ok: true; log: number; checkpointed: number } | { ok: false; error: string } | { stopped: true };

export async function startWalCheckpointer(
  db: StateDb,
  file: string,
  opts: { intervalMs?: number; onError?: (error: string) => void } = {},
): Promise<WalCheckpointer> {
  db.pragma('wal_autocheckpoint = 0');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver, intervalMs: opts.intervalMs ?? 1000 },
  });
  worker.unref();
  const stats = { runs: 0, checkpointedFrames: 0, failures: 0, lastError: null as string | null };
  let stopped: (() => void) | null = null;
  worker.on('message', (m: WorkerMessage) => {
    if ('stopped' in m) {
      stopped?.();
      return;
    }
    stats.runs++;
    if (m.ok) {
      stats.checkpointedFrames += m.checkpointed;
    } else if (m.error !== 'SQLITE_BUSY') {
      stats.failures++;
      if (stats.lastError !== m.error) opts.onError?.(m.error);
      stats.lastError = m.error;
    }
  });
  worker.on('error', (err) => {
    stats.failures++;
    stats.lastError = String(err);
    opts.onError?.(String(err));
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });
  let done = false;
  return {
    stats: () => ({ ...stats }),
    async stop() {
      if (done) return;
      done = true;
      await new Promise<void>((resolve) => {
        stopped = resolve;
        worker.postMessage('stop');
        setTimeout(resolve, 2000).unref();
      });
      await worker.terminate();
      if (db.open) {
        try {
          db.pragma('wal_checkpoint(TRUNCATE)');
        } catch {
          // A full or failing disk: the WAL stays and is checkpointed at the next start.
        }
      }
    },
  };
}
