// What each principal has read, kept in SQLite for the exfiltration guard.
// SECURITY: keyed by principal, not by the agent-chosen session id: a fresh session id must not wash the taint off.
import type { ActionName } from '../../shared/index.ts';
import { noteRead } from '../content/index.ts';
import type { StateDb } from '../state/index.ts';

/** Reads older than this stop counting towards the exfiltration guard. */
const TAINT_TTL_MS = 24 * 3600 * 1000;
/** Bound the remembered text fingerprints per principal. */
const MAX_SHINGLES = 50_000;
/** Trimming waits for this many extra fingerprints, so it runs once per many reads, never per read. */
const TRIM_SLACK = 2_000;

/** What the guard checks an outbound proposal against; the fingerprints are a set, ready for lookups. */
export interface PrincipalTaint {
  readonly readExternal: boolean;
  readonly readCodes: readonly string[];
  readonly readShingles: ReadonlySet<string>;
}

interface Entry {
  external: boolean;
  codes: Set<string>;
  /** Insertion order is age order: the oldest come first when trimming. */
  shingles: Set<string>;
  updatedMs: number;
}

// Append-only rows: a read writes only what is new to it (the in-memory sets dedupe; the sidecar is the only
// writer), at the end of the id order, so its cost does not depend on how much is remembered. Created here
// rather than in a numbered migration; the older one-row-per-principal table is folded in once.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS principal_taint_items (
    id INTEGER PRIMARY KEY,
    principal TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('code', 'shingle')),
    value TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS principal_taint_items_age ON principal_taint_items (principal, kind, id);
  CREATE TABLE IF NOT EXISTS principal_taint_meta (
    principal TEXT PRIMARY KEY,
    read_external INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
`;

export function createTaintStore(db: StateDb, now: () => Date = () => new Date()) {
  db.exec(SCHEMA);
  const insertItem = db.prepare('INSERT INTO principal_taint_items (principal, kind, value) VALUES (?, ?, ?)');
  const itemsOf = db.prepare('SELECT kind, value FROM principal_taint_items WHERE principal = ? ORDER BY id');
  const metaOf = db.prepare('SELECT read_external, updated_at FROM principal_taint_meta WHERE principal = ?');
  const putMeta = db.prepare(
    'INSERT OR REPLACE INTO principal_taint_meta (principal, read_external, updated_at) VALUES (?, ?, ?)',
  );
  const forget = db.prepare('DELETE FROM principal_taint_items WHERE principal = ?');
  const trimBefore = db.prepare(
    "DELETE FROM principal_taint_items WHERE principal = ? AND kind = 'shingle' AND id < (SELECT id FROM principal_taint_items WHERE principal = ? AND kind = 'shingle' ORDER BY id DESC LIMIT 1 OFFSET ?)",
  );

  foldInLegacyRows(db);

  const cache = new Map<string, Entry>();

  function load(principal: string): Entry {
    let e = cache.get(principal);
    if (e) return e;
    const meta = metaOf.get(principal) as { read_external: number; updated_at: string } | undefined;
    e = { external: false, codes: new Set(), shingles: new Set(), updatedMs: 0 };
    if (meta) {
      e.external = meta.read_external === 1;
      e.updatedMs = Date.parse(meta.updated_at);
      for (const r of itemsOf.iterate(principal) as Iterable<{ kind: string; value: string }>) {
        (r.kind === 'code' ? e.codes : e.shingles).add(r.value);
      }
    }
    cache.set(principal, e);
    return e;
  }

  const expired = (e: Entry, t: number) => e.updatedMs > 0 && t - e.updatedMs > TAINT_TTL_MS;

  const noteTx = db.transaction((principal: string, e: Entry, codes: string[], fresh: string[], at: string) => {
    for (const c of codes) insertItem.run(principal, 'code', c);
    for (const s of fresh) insertItem.run(principal, 'shingle', s);
    putMeta.run(principal, e.external ? 1 : 0, at);
    if (e.shingles.size > MAX_SHINGLES + TRIM_SLACK) {
      trimBefore.run(principal, principal, MAX_SHINGLES - 1);
      let drop = e.shingles.size - MAX_SHINGLES;
      for (const s of e.shingles) {
        if (drop-- <= 0) break;
        e.shingles.delete(s);
      }
    }
  });

  return {
    get(principal: string): PrincipalTaint {
      const e = load(principal);
      if (expired(e, now().getTime())) return { readExternal: false, readCodes: [], readShingles: new Set() };
      return { readExternal: e.external, readCodes: [...e.codes], readShingles: e.shingles };
    },
    note(principal: string, action: ActionName, result: unknown, internalDomains: readonly string[]): void {
      const t = now();
      const e = load(principal);
      if (expired(e, t.getTime())) {
        forget.run(principal);
        e.external = false;
        e.codes.clear();
        e.shingles.clear();
      }
      const read = noteRead(action, result, internalDomains);
      const codes = read.readCodes.filter((c) => !e.codes.has(c));
      const fresh = read.readShingles.filter((s) => !e.shingles.has(s));
      e.external ||= read.readExternal;
      for (const c of codes) e.codes.add(c);
      for (const s of fresh) e.shingles.add(s);
      e.updatedMs = t.getTime();
      try {
        noteTx(principal, e, codes, fresh, t.toISOString());
      } catch (err) {
        // Memory and table must agree: reload from the table next time.
        cache.delete(principal);
        throw err;
      }
    },
  };
}

/** The older layout kept a principal's whole taint as one JSON row; move such rows to the append-only table. */
function foldInLegacyRows(db: StateDb): void {
  const legacy = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'principal_taint'").get();
  if (!legacy) return;
  const rows = db.prepare('SELECT principal, taint, updated_at FROM principal_taint').all() as {
    principal: string;
    taint: string;
    updated_at: string;
  }[];
  if (rows.length === 0) return;
  const insertItem = db.prepare('INSERT INTO principal_taint_items (principal, kind, value) VALUES (?, ?, ?)');
  const putMeta = db.prepare(
    'INSERT OR REPLACE INTO principal_taint_meta (principal, read_external, updated_at) VALUES (?, ?, ?)',
  );
  db.transaction(() => {
    for (const r of rows) {
      const t = JSON.parse(r.taint) as { readExternal?: boolean; readCodes?: string[]; readShingles?: string[] };
      for (const c of new Set(t.readCodes ?? [])) insertItem.run(r.principal, 'code', c);
      for (const s of new Set(t.readShingles ?? [])) insertItem.run(r.principal, 'shingle', s);
      putMeta.run(r.principal, t.readExternal ? 1 : 0, r.updated_at);
    }
    db.prepare('DELETE FROM principal_taint').run();
  })();
}
