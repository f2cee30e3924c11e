// SQLite state: opening, migrations.

export type { Migration, OpenStateOptions, StateDb } from './database.ts';
export {
  checkStateIntegrity,
  DEFAULT_BUSY_TIMEOUT_MS,
  durably,
  isBusyError,
  openStateDb,
  QUICK_CHECK_AT_OPEN_MAX_BYTES,
  StateError,
} from './database.ts';
export { CORE_MIGRATIONS } from './migrations.ts';
