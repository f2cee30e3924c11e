// SQLite state: opening, migrations.

export type { Migration, OpenStateOptions, StateDb } from './database.ts';
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  durably,
  isBusyError,
  isSqliteError,
  openStateDb,
  StateError,
  storageErrorCode,
} from './database.ts';
export { CORE_MIGRATIONS } from './migrations.ts';
