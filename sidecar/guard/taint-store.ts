// What each principal has read, kept in SQLite for the exfiltration guard.
// SECURITY: keyed by principal, not by the agent-chosen session id: a fresh session id must not wash the taint off.

import type { ActionName } from '../../shared/index.ts';
import { emptyTaint, mergeTaint, noteRead, type SessionTaint } from '../content/index.ts';
import type { StateDb } from '../state/index.ts';

/** Reads older than this stop counting towards the exfiltration guard. */
const TAINT_TTL_MS = 24 * 3600 * 1000;
/** Bound the remembered text fingerprints per principal. */
const MAX_SHINGLES = 50_000;

export function createTaintStore(db: StateDb, now: () => Date = () => new Date()) {
  const read = db.prepare('SELECT taint, updated_at FROM principal_taint WHERE principal = ?');
  const write = db.prepare('INSERT OR REPLACE INTO principal_taint (principal, taint, updated_at) VALUES (?, ?, ?)');

  function get(principal: string): SessionTaint {
    const row = read.get(principal) as { taint: string; updated_at: string } | undefined;
    if (!row || now().getTime() - Date.parse(row.updated_at) > TAINT_TTL_MS) return emptyTaint();
    return JSON.parse(row.taint) as SessionTaint;
  }

  return {
    get,
    note(principal: string, action: ActionName, result: unknown, internalDomains: readonly string[]): void {
      const merged = mergeTaint(get(principal), noteRead(action, result, internalDomains));
      const bounded = { ...merged, readShingles: merged.readShingles.slice(-MAX_SHINGLES) };
      write.run(principal, JSON.stringify(bounded), now().toISOString());
    },
  };
}
