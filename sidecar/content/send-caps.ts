// Hourly and daily send caps in SQLite: reserved atomically before a send, counted only once it succeeded.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { CapsPolicy } from './policy-schema.ts';

/** Registered by the state layer as a migration. Times are epoch milliseconds. */
export const SEND_CAPS_MIGRATION = `
CREATE TABLE IF NOT EXISTS send_cap_reservations (
  id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  principal TEXT NOT NULL,
  count INTEGER NOT NULL CHECK (count > 0),
  state TEXT NOT NULL CHECK (state IN ('reserved', 'committed')),
  reserved_at INTEGER NOT NULL,
  committed_at INTEGER
);
CREATE INDEX IF NOT EXISTS send_cap_reservations_window
  ON send_cap_reservations (bucket, principal, reserved_at);
`;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export type ReserveResult =
  | { ok: true; reservationId: string }
  | { ok: false; rule: 'caps.hourly' | 'caps.daily'; message: string };

export interface StaleReservation {
  reservationId: string;
  principal: string;
  count: number;
  reservedAt: string;
}

export interface SendCaps {
  /** Takes `count` sends from the caps, or says which cap is full. Atomic across connections and processes. */
  reserve(principal: string, count?: number): ReserveResult;
  /**
   * Whether `count` more sends fit right now, without taking them: a fact for the decision at submission.
   * Only `reserve` just before the side effect counts.
   */
  headroom(principal: string, count?: number): { ok: true } | Extract<ReserveResult, { ok: false }>;
  /** The send succeeded: the reservation becomes a counted send. False if it was unknown or already settled. */
  commit(reservationId: string): boolean;
  /** The send failed: the reservation no longer counts. False if it was unknown or already committed. */
  release(reservationId: string): boolean;
  /**
   * Reservations neither committed nor released after `staleAfterMs` (a crash mid-send). They keep
   * counting, as if sent at reservation time, until someone releases them explicitly.
   */
  stale(): StaleReservation[];
}

export interface SendCapsOptions {
  /** Separate counters, e.g. "mail" and "calendar". */
  bucket?: string;
  staleAfterMs?: number;
  newId?: () => string;
}

export function createSendCaps(
  db: BetterSqlite3.Database,
  policy: CapsPolicy | { caps: CapsPolicy },
  now: () => Date,
  options: SendCapsOptions = {},
): SendCaps {
  const caps = 'caps' in policy ? policy.caps : policy;
  const bucket = options.bucket ?? 'mail';
  const staleAfterMs = options.staleAfterMs ?? 10 * 60_000;
  const newId = options.newId ?? randomUUID;

  // A reservation counts from when it was taken; a committed send from when it was confirmed.
  const sumSince = db.prepare<[string, string, number], { total: number | null; oldest: number | null }>(
    `SELECT SUM(count) AS total, MIN(COALESCE(committed_at, reserved_at)) AS oldest
       FROM send_cap_reservations
      WHERE bucket = ? AND principal = ? AND COALESCE(committed_at, reserved_at) > ?`,
  );
  const insert = db.prepare(
    `INSERT INTO send_cap_reservations (id, bucket, principal, count, state, reserved_at)
     VALUES (?, ?, ?, ?, 'reserved', ?)`,
  );
  const prune = db.prepare(
    `DELETE FROM send_cap_reservations
      WHERE bucket = ? AND state = 'committed' AND committed_at < ?`,
  );
  const commitStmt = db.prepare(
    `UPDATE send_cap_reservations SET state = 'committed', committed_at = ?
      WHERE id = ? AND bucket = ? AND state = 'reserved'`,
  );
  const releaseStmt = db.prepare(
    `DELETE FROM send_cap_reservations WHERE id = ? AND bucket = ? AND state = 'reserved'`,
  );
  const staleStmt = db.prepare<[string, number], { id: string; principal: string; count: number; reserved_at: number }>(
    `SELECT id, principal, count, reserved_at FROM send_cap_reservations
      WHERE bucket = ? AND state = 'reserved' AND reserved_at < ? ORDER BY reserved_at`,
  );

  const until = (oldest: number | null, windowMs: number) =>
    oldest === null
      ? ''
      : `; the oldest counted send leaves the window at ${new Date(oldest + windowMs).toISOString()}`;

  function check(principal: string, count: number, t: number): { ok: true } | Extract<ReserveResult, { ok: false }> {
    const hour = sumSince.get(bucket, principal, t - HOUR_MS);
    const hourTotal = hour?.total ?? 0;
    if (hourTotal + count > caps.perHour) {
      return {
        ok: false,
        rule: 'caps.hourly',
        message: `hourly send cap reached: ${hourTotal} of ${caps.perHour} used in the last hour (caps.perHour)${until(hour?.oldest ?? null, HOUR_MS)}`,
      };
    }
    const day = sumSince.get(bucket, principal, t - DAY_MS);
    const dayTotal = day?.total ?? 0;
    if (dayTotal + count > caps.perDay) {
      return {
        ok: false,
        rule: 'caps.daily',
        message: `daily send cap reached: ${dayTotal} of ${caps.perDay} used in the last 24 hours (caps.perDay)${until(day?.oldest ?? null, DAY_MS)}`,
      };
    }
    return { ok: true };
  }

  const reserveTx = db.transaction((principal: string, count: number): ReserveResult => {
    const t = now().getTime();
    prune.run(bucket, t - 2 * DAY_MS);
    const room = check(principal, count, t);
    if (!room.ok) return room;
    const id = newId();
    insert.run(id, bucket, principal, count, t);
    return { ok: true, reservationId: id };
  });

  return {
    headroom(principal, count = 1) {
      return check(principal, count, now().getTime());
    },
    reserve(principal, count = 1) {
      if (!Number.isInteger(count) || count < 1) {
        throw new RangeError(`send caps: count must be a positive integer, got ${String(count)}`);
      }
      // INVARIANT: IMMEDIATE takes the write lock before the counts are read, so two connections can
      // never both see room for the last send.
      return reserveTx.immediate(principal, count);
    },
    commit(reservationId) {
      return commitStmt.run(now().getTime(), reservationId, bucket).changes === 1;
    },
    release(reservationId) {
      return releaseStmt.run(reservationId, bucket).changes === 1;
    },
    stale() {
      return staleStmt.all(bucket, now().getTime() - staleAfterMs).map((r) => ({
        reservationId: r.id,
        principal: r.principal,
        count: r.count,
        reservedAt: new Date(r.reserved_at).toISOString(),
      }));
    },
  };
}
