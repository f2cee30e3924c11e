// SQLite state: opening, migrations.

export type { Migration, OpenStateOptions, StateDb } from './database.ts';
export { openStateDb, StateError } from './database.ts';
export { CORE_MIGRATIONS } from './migrations.ts';
