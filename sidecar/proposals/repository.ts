// SQL for proposals: inserts, the atomic execution claim, outcomes, expiry, listing.
import { z } from 'zod';
import { ActionNameSchema, type ProposalStatus, ProposalStatusSchema } from '../../shared/index.ts';
import { durably, type StateDb } from '../state/index.ts';
import { TRANSITIONS, type TransitionName } from './transitions.ts';

/** What a transition may set besides status and execution state. */
export interface MoveFields {
  readonly expiresAt?: string | null;
  readonly result?: string | null;
  readonly error?: string | null;
  /** False for a claim that need not survive a power cut (a read's). */
  readonly durable?: boolean;
}

export const ProposalRowSchema = z.object({
  id: z.string(),
  principal: z.string(),
  action: ActionNameSchema,
  status: ProposalStatusSchema,
  canonical: z.string(),
  hash: z.string(),
  decision: z.string(),
  policy_digest: z.string(),
  correlation_id: z.string(),
  session_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.string().nullable(),
  exec_state: z.enum(['none', 'claimed', 'done']),
  claimed_at: z.string().nullable(),
  result: z.string().nullable(),
  error: z.string().nullable(),
});
export type ProposalRow = z.infer<typeof ProposalRowSchema>;

export function createProposalRepository(db: StateDb) {
  const insert = db.prepare(`INSERT INTO proposals
    (id, principal, action, status, canonical, hash, decision, policy_digest, correlation_id, session_id, created_at, updated_at, expires_at)
    VALUES (@id, @principal, @action, @status, @canonical, @hash, @decision, @policyDigest, @correlationId, @sessionId, @createdAt, @createdAt, @expiresAt)`);
  const byId = db.prepare('SELECT * FROM proposals WHERE id = ?');
  const moves = Object.fromEntries(
    Object.entries(TRANSITIONS).map(([name, t]) => {
      const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
      const sql = `UPDATE proposals SET status = @to, exec_state = @toExec, updated_at = @at,
        expires_at = COALESCE(@expiresAt, expires_at), claimed_at = COALESCE(@claimedAt, claimed_at),
        result = COALESCE(@result, result), error = COALESCE(@error, error)
        WHERE id = @id AND status IN (${list(t.from)}) AND exec_state IN (${list(t.fromExec)})`;
      return [name, db.prepare(sql)];
    }),
  ) as Record<TransitionName, ReturnType<StateDb['prepare']>>;
  // Only an approved row is ever claimed; naming the status lets the status index answer without a table scan.
  const claimedRows = db.prepare("SELECT * FROM proposals WHERE status = 'approved' AND exec_state = 'claimed'");
  const expiring = db.prepare(`SELECT * FROM proposals WHERE status IN ('pending_approval', 'approved')
    AND exec_state = 'none' AND expires_at IS NOT NULL AND expires_at <= ?`);
  const approvedUnclaimed = db.prepare(
    "SELECT id FROM proposals WHERE status = 'approved' AND exec_state = 'none' AND (expires_at IS NULL OR expires_at > ?)",
  );
  const listAll = db.prepare('SELECT * FROM proposals ORDER BY created_at DESC LIMIT ?');
  // Paging walks the table's own rowid order (insertion order, newest first): each page costs its own rows,
  // however many are stored. The cursor is the rowid of the last row shown.
  const pageAll = db.prepare('SELECT rowid AS seq_, * FROM proposals WHERE rowid < ? ORDER BY rowid DESC LIMIT ?');
  const pageByStatus = db.prepare(
    'SELECT rowid AS seq_, * FROM proposals WHERE status = ? AND rowid < ? ORDER BY rowid DESC LIMIT ?',
  );
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM proposals WHERE rowid < ?');
  const countByStatus = db.prepare('SELECT COUNT(*) AS n FROM proposals WHERE status = ? AND rowid < ?');
  const listByStatus = db.prepare('SELECT * FROM proposals WHERE status = ? ORDER BY created_at DESC LIMIT ?');

  const parse = (row: unknown): ProposalRow | null => (row === undefined ? null : ProposalRowSchema.parse(row));

  return {
    insert(row: ProposalRow): void {
      insert.run({
        id: row.id,
        principal: row.principal,
        action: row.action,
        status: row.status,
        canonical: row.canonical,
        hash: row.hash,
        decision: row.decision,
        policyDigest: row.policy_digest,
        correlationId: row.correlation_id,
        sessionId: row.session_id,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      });
    },
    get(id: string): ProposalRow | null {
      return parse(byId.get(id));
    },
    /**
     * The one way a stored proposal changes: a transition of the table, applied only from the statuses and
     * execution states it lists (a row that moved on meanwhile is left alone, and false is returned).
     */
    move(id: string, name: TransitionName, at: string, fields: MoveFields = {}): boolean {
      const t = TRANSITIONS[name];
      const run = () =>
        moves[name].run({
          id,
          to: t.to,
          toExec: t.toExec,
          at,
          expiresAt: fields.expiresAt ?? null,
          claimedAt: t.toExec === 'claimed' ? at : null,
          result: fields.result ?? null,
          error: fields.error ?? null,
        }).changes === 1;
      // A read has no side effect to repeat, so its claim need not survive a power cut (`durable: false`).
      return t.durable && fields.durable !== false ? durably(db, run) : run();
    },
    claimed(): ProposalRow[] {
      return claimedRows.all().map((r) => ProposalRowSchema.parse(r));
    },
    /** Approved before a stop, never claimed, still inside the execution window. */
    approvedUnclaimed(now: string): string[] {
      return (approvedUnclaimed.all(now) as { id: string }[]).map((r) => r.id);
    },
    dueForExpiry(now: string): ProposalRow[] {
      return expiring.all(now).map((r) => ProposalRowSchema.parse(r));
    },
    /** One page, newest first, after `before` (a cursor from the previous page; null for the first). */
    page(
      status: ProposalStatus | null,
      limit: number,
      before: number | null,
    ): { rows: ProposalRow[]; nextCursor: number | null; more: number } {
      const from = before ?? Number.MAX_SAFE_INTEGER;
      const raw = (status ? pageByStatus.all(status, from, limit) : pageAll.all(from, limit)) as { seq_: number }[];
      const last = raw.at(-1)?.seq_ ?? null;
      const more =
        last === null ? 0 : ((status ? countByStatus.get(status, last) : countAll.get(last)) as { n: number }).n;
      return {
        rows: raw.map((r) => ProposalRowSchema.parse(r)),
        nextCursor: more > 0 ? last : null,
        more,
      };
    },
    list(status: ProposalStatus | null, limit: number): ProposalRow[] {
      const rows = status ? listByStatus.all(status, limit) : listAll.all(limit);
      return rows.map((r) => ProposalRowSchema.parse(r));
    },
  };
}

export type ProposalRepository = ReturnType<typeof createProposalRepository>;
