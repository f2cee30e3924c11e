// SQL for proposals: inserts, the atomic execution claim, outcomes, expiry, listing.
import { z } from 'zod';
import { ActionNameSchema, type ProposalStatus, ProposalStatusSchema } from '../../shared/index.ts';
import { durably, type StateDb } from '../state/index.ts';

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
  const claim = db.prepare(`UPDATE proposals SET exec_state = 'claimed', claimed_at = ?, updated_at = ?
    WHERE id = ? AND status = 'approved' AND exec_state = 'none'`);
  const finish = db.prepare(`UPDATE proposals SET status = ?, exec_state = 'done', result = ?, error = ?, updated_at = ?
    WHERE id = ? AND exec_state = 'claimed'`);
  const transition = db.prepare(
    'UPDATE proposals SET status = ?, updated_at = ?, expires_at = COALESCE(?, expires_at) WHERE id = ? AND status = ?',
  );
  // Only an approved row is ever claimed; naming the status lets the status index answer without a table scan.
  const claimedRows = db.prepare("SELECT * FROM proposals WHERE status = 'approved' AND exec_state = 'claimed'");
  const markUnknown = db.prepare(`UPDATE proposals SET status = 'outcome_unknown', exec_state = 'done', updated_at = ?,
    error = ? WHERE id = ? AND exec_state = 'claimed'`);
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
    /** INVARIANT: true for exactly one caller per proposal, ever; the side effect runs only after it. */
    claim(id: string, at: string, durable = true): boolean {
      const run = () => claim.run(at, at, id).changes === 1;
      return durable ? durably(db, run) : run();
    },
    finish(
      id: string,
      status: 'executed' | 'failed',
      result: string | null,
      error: string | null,
      at: string,
    ): boolean {
      return finish.run(status, result, error, at, id).changes === 1;
    },
    transition(
      id: string,
      from: ProposalStatus,
      to: ProposalStatus,
      at: string,
      expiresAt: string | null = null,
    ): boolean {
      return transition.run(to, at, expiresAt, id, from).changes === 1;
    },
    claimed(): ProposalRow[] {
      return claimedRows.all().map((r) => ProposalRowSchema.parse(r));
    },
    markOutcomeUnknown(id: string, at: string, error: string): boolean {
      return markUnknown.run(at, error, id).changes === 1;
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
