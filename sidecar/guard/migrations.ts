// Schema the guard needs in the sidecar's state database.
import { SEND_CAPS_MIGRATION } from '../content/index.ts';
import type { Migration } from '../state/index.ts';

export const GUARD_MIGRATIONS: readonly Migration[] = [
  { version: 3, name: 'send-caps', sql: SEND_CAPS_MIGRATION },
  {
    version: 4,
    name: 'principal-taint',
    sql: 'CREATE TABLE principal_taint (principal TEXT PRIMARY KEY, taint TEXT NOT NULL, updated_at TEXT NOT NULL);',
  },
];
