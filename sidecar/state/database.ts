// Opens the sidecar's SQLite state (WAL, busy timeout) and applies schema migrations in order.
import { chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { MailwardenError } from '../errors.ts';

export type StateErrorCode =
  | 'STATE_MIGRATION_FAILED'
  | 'STATE_NEWER_SCHEMA'
  | 'STATE_CORRUPT'
  | 'STATE_BUSY'
  | 'STATE_UNAVAILABLE';

/**
 * How long a write waits for another process's lock. better-sqlite3 waits synchronously, so a long wait
 * would stall every socket; a short one turns into a retryable 503 STATE_BUSY instead.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 250;

/** True for SQLite's "another connection holds the lock" errors. */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'))
  );
}
const STORAGE_ERRNO = new Set(['ENOSPC', 'EIO', 'EDQUOT', 'EROFS']);

/**
 * The code of a storage failure in `err` or its causes: SQLite's disk-full, I/O, read-only and can't-open
 * errors, or a file system errno (ENOSPC, EIO, EDQUOT, EROFS); null for anything else.
 */
export function storageErrorCode(err: unknown): string | null {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (
      code === 'SQLITE_FULL' ||
      code.startsWith('SQLITE_IOERR') ||
      code.startsWith('SQLITE_READONLY') ||
      code.startsWith('SQLITE_CANTOPEN') ||
      STORAGE_ERRNO.has(code)
    )
      return code;
  }
  return null;
}

/** True when `err` (or a cause) comes from SQLite itself, so the store at fault is the state database. */
export function isSqliteError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return true;
  }
  return false;
}

export class StateError extends MailwardenError<StateErrorCode> {
  override readonly name = 'StateError';
}

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export type StateDb = Database.Database;

/**
 * Runs `fn` with synchronous = FULL: its commit is fsynced before it returns, together with every earlier
 * commit in the WAL. INVARIANT: the execution claim goes through here, so after a power loss a proposal that
 * may have run is still claimed and is never run again.
 */
export function durably<T>(db: StateDb, fn: () => T): T {
  db.pragma('synchronous = FULL');
  try {
    return fn();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}

export interface OpenStateOptions {
  readonly file: string;
  readonly migrations: readonly Migration[];
  readonly busyTimeoutMs?: number;
  /** Run SQLite's quick_check before use (default). It reads the whole file, so a large state checks later. */
  readonly quickCheck?: boolean;
}

/** Above this size the integrity check leaves start-up and runs beside the sidecar (checkStateIntegrity). */
export const QUICK_CHECK_AT_OPEN_MAX_BYTES = 16 * 1024 * 1024;

/**
 * SQLite's quick_check on its own read-only connection in a worker thread, so the event loop keeps serving.
 * Resolves "ok" or SQLite's description of what is wrong.
 */
export function checkStateIntegrity(file: string): Promise<string> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
    try { parentPort.postMessage(String(db.pragma('quick_check', { simple: true }))); } finally { db.close(); }
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { driver, file } });
    worker.once('message', (m: string) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (c) => (c === 0 ? undefined : reject(new Error(`integrity check exited with ${c}`))));
    worker.unref();
  });
}

export function openStateDb(opts: OpenStateOptions): StateDb {
  const isNew = opts.file !== ':memory:' && !existsSync(opts.file);
  const db = new Database(opts.file);
  if (isNew) chmodSync(opts.file, 0o600);
  db.pragma('journal_mode = WAL');
  // Ordinary commits reach the WAL without an fsync each; the commits that must survive power loss
  // (the execution claim, a consumed nonce) go through `durably`, which fsyncs them and all before them.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
  const check = opts.quickCheck === false ? 'ok' : db.pragma('quick_check', { simple: true });
  if (check !== 'ok') {
    db.close();
    throw new StateError('STATE_CORRUPT', `state database ${opts.file} failed its integrity check: ${String(check)}`);
  }
  migrate(db, opts.migrations, opts.file);
  return db;
}

function migrate(db: StateDb, migrations: readonly Migration[], file: string): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new StateError(
      'STATE_NEWER_SCHEMA',
      `state database ${file} has schema version ${newest}, newer than this mailwarden knows (${known}); upgrade mailwarden`,
    );
  }
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    const apply = db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    });
    try {
      apply();
    } catch (err) {
      throw new StateError(
        'STATE_MIGRATION_FAILED',
        `migration ${m.version} (${m.name}) failed on ${file}: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
}
