// At every start: state.db held against evidence, so a restored backup or a reset row can never send twice,
// and a row whose evidence is gone is a loud, recorded inconsistency until an operator acknowledges it.
import { z } from 'zod';
import { type ApproverKeyring, createNonceStore, verifyStatement } from '../approval/index.ts';
import { MailwardenError } from '../errors.ts';
import { type EvidenceLog, findProposalEvidence } from '../evidence/index.ts';
import type { ProposalRow, ProposalService } from '../proposals/index.ts';
import type { Migration, StateDb } from '../state/index.ts';

export const RECONCILE_MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    name: 'evidence-gaps',
    sql: `
      CREATE TABLE evidence_gaps (
        id INTEGER PRIMARY KEY,
        detected_at TEXT NOT NULL,
        evidence_seq INTEGER NOT NULL,
        proposal_ids TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        reason TEXT
      );
    `,
  },
];

/** Evidence that a proposal's execution began: it may have had its effect, so it never runs again. */
const STARTED = ['execution_started', 'execution_finished', 'outcome_unknown'] as const;
/** Records are looked for from this long before the oldest open proposal was created (clock steps, batching). */
const MARGIN_MS = 60 * 60 * 1000;

export interface ReconcileDeps {
  readonly db: StateDb;
  readonly proposals: Pick<ProposalService, 'openRows' | 'reconcile'>;
  readonly evidence: Pick<EvidenceLog, 'append'>;
  readonly evidenceDir: string;
  readonly now: () => Date;
}

export interface ReconcileReport {
  /** Rows not in a final state that were compared with evidence. */
  readonly checked: number;
  /** Rows that evidence shows had started executing: now outcome_unknown. */
  readonly settled: readonly string[];
  /** Rows with no evidence at all: now outcome_unknown, and an evidence_gap recorded. */
  readonly gaps: readonly string[];
  readonly bytesRead: number;
}

export async function reconcileWithEvidence(deps: ReconcileDeps): Promise<ReconcileReport> {
  const record = (e: Parameters<EvidenceLog['append']>[0]) => deps.evidence.append(e);
  const open = deps.proposals.openRows();
  if (open.length === 0) return { checked: 0, settled: [], gaps: [], bytesRead: 0 };
  let oldest = Number.POSITIVE_INFINITY;
  for (const r of open) oldest = Math.min(oldest, Date.parse(r.created_at));
  const since = new Date(oldest - MARGIN_MS);
  const found = await findProposalEvidence({
    dir: deps.evidenceDir,
    ids: new Set(open.map((r) => r.id)),
    ...(Number.isNaN(since.getTime()) ? {} : { since: since.toISOString() }),
  });
  const settled: string[] = [];
  const gaps: ProposalRow[] = [];
  for (const row of open) {
    const ev = found.byId.get(row.id);
    if (!ev) {
      gaps.push(row);
      continue;
    }
    // A claimed row is settled by the crash recovery that follows (it says so in its own words).
    if (row.exec_state === 'claimed') continue;
    const started = STARTED.filter((t) => ev.types.has(t));
    if (started.length === 0) continue;
    // INVARIANT: evidence first, then state (the transition's order); a crash in between repeats this next start.
    await deps.proposals.reconcile(
      row,
      {
        type: 'outcome_unknown',
        proposalId: row.id,
        principal: row.principal,
        data: { reason: 'state_behind_evidence', rowStatus: row.status, evidence: started },
      },
      {
        code: 'OUTCOME_UNKNOWN',
        message:
          'the state database said this had not run, but evidence shows its execution began (state restored from ' +
          'a backup or changed by hand); it will not run again. Check the mailbox to see whether it happened',
      },
    );
    settled.push(row.id);
  }
  if (gaps.length > 0) {
    const ids = gaps.map((r) => r.id);
    const receipt = await record({
      type: 'evidence_gap',
      data: {
        reason: 'state_without_evidence',
        count: ids.length,
        proposals: ids.slice(0, 100),
        statuses: [...new Set(gaps.map((r) => r.status))],
      },
    });
    deps.db
      .prepare('INSERT INTO evidence_gaps (detected_at, evidence_seq, proposal_ids) VALUES (?, ?, ?)')
      .run(deps.now().toISOString(), receipt.seq, JSON.stringify(ids));
    for (const row of gaps) {
      // Each proposal's own trail says how it ended, pointing at the gap record.
      await deps.proposals.reconcile(
        row,
        {
          type: 'outcome_unknown',
          proposalId: row.id,
          principal: row.principal,
          data: { reason: 'evidence_gap', rowStatus: row.status, gapSeq: receipt.seq },
        },
        {
          code: 'EVIDENCE_GAP',
          message:
            'the evidence log holds no record of this proposal although the state database does; it will not run. ' +
            'See `mailwarden posture` and docs/evidence.md',
        },
      );
    }
  }
  return { checked: open.length, settled, gaps: gaps.map((r) => r.id), bytesRead: found.bytesRead };
}

export interface EvidenceGap {
  readonly id: number;
  readonly detectedAt: string;
  readonly evidenceSeq: number;
  readonly proposals: readonly string[];
}

export const GapAcknowledgementSchema = z.strictObject({
  /** The id of the gap (as `mailwarden posture` and GET /v1/evidence/gaps show it). */
  evidenceGap: z.number().int().min(1),
  reason: z.string().min(1).max(1024),
  approver: z.string().min(1).max(128),
  nonce: z.string().min(16).max(128),
  iat: z.number().int(),
  exp: z.number().int(),
});

export class GapError extends MailwardenError<'NOT_FOUND' | 'APPROVAL_REFUSED'> {
  override readonly name = 'GapError';
}

export interface GapRegistryDeps {
  readonly db: StateDb;
  readonly keyring: ApproverKeyring;
  readonly evidence: Pick<EvidenceLog, 'append'>;
  readonly now: () => Date;
  readonly skewSeconds: number;
}

/** Open gaps for posture, and their acknowledgement by a signed statement (signed like a lockdown statement). */
export function createGapRegistry(deps: GapRegistryDeps) {
  const openGaps = deps.db.prepare(
    'SELECT id, detected_at, evidence_seq, proposal_ids FROM evidence_gaps WHERE acknowledged_at IS NULL ORDER BY id',
  );
  const ack = deps.db.prepare(
    'UPDATE evidence_gaps SET acknowledged_at = ?, acknowledged_by = ?, reason = ? WHERE id = ? AND acknowledged_at IS NULL',
  );
  const nonces = createNonceStore(deps.db);

  function open(): EvidenceGap[] {
    return (openGaps.all() as { id: number; detected_at: string; evidence_seq: number; proposal_ids: string }[]).map(
      (r) => ({
        id: r.id,
        detectedAt: r.detected_at,
        evidenceSeq: r.evidence_seq,
        proposals: JSON.parse(r.proposal_ids) as string[],
      }),
    );
  }

  async function acknowledge(jws: string): Promise<{ evidenceGap: number; acknowledgedBy: string }> {
    const check = await verifyStatement(jws, GapAcknowledgementSchema, deps.keyring, {
      now: deps.now(),
      skewSeconds: deps.skewSeconds,
    });
    if (!check.ok) throw new GapError('APPROVAL_REFUSED', `acknowledgement refused: ${check.message}`);
    const p = check.payload;
    if (!open().some((g) => g.id === p.evidenceGap)) {
      throw new GapError('NOT_FOUND', `no open evidence gap ${p.evidenceGap}; see GET /v1/evidence/gaps`);
    }
    const at = deps.now().toISOString();
    if (!nonces.consume(p.nonce, deps.now(), p.exp)) {
      throw new GapError('APPROVAL_REFUSED', 'acknowledgement refused: it was already used (replay)');
    }
    // Evidence first: the acknowledgement, with its signature, is part of the record an auditor sees.
    await deps.evidence.append({
      type: 'evidence_gap_acknowledged',
      data: { evidenceGap: p.evidenceGap, reason: p.reason, actor: p.approver, jws },
    });
    ack.run(at, p.approver, p.reason, p.evidenceGap);
    return { evidenceGap: p.evidenceGap, acknowledgedBy: p.approver };
  }

  return { open, acknowledge };
}

export type GapRegistry = ReturnType<typeof createGapRegistry>;
