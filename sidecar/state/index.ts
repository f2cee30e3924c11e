// SQLite state: opening, migrations.

export { startWalCheckpointer, type WalCheckpointer } from './checkpointer.ts';
export type { Migration, OpenStateOptions, StateDb } from './database.ts';
export {
  checkStateIntegrity,
  DEFAULT_BUSY_TIMEOUT_MS,
  durably,
  isBusyError,
  isSqliteError,
  openStateDb,
  QUICK_CHECK_AT_OPEN_MAX_BYTES,
  StateError,
  storageErrorCode,
} from './database.ts';
export { CORE_MIGRATIONS } from './migrations.ts';
export { createWriteBatch, type WriteBatch } from './write-batch.ts';
