// Routes of operator.sock: review proposals, submit signed decisions and lockdown statements, read posture.
import { Hono } from 'hono';
import { z } from 'zod';
import {
  DecisionBodySchema,
  describeIssue,
  type Posture,
  ProposalStatusSchema,
  SignedStatementSchema,
} from '../../shared/index.ts';
import type { Lockdown } from '../lockdown/index.ts';
import { type ProposalService, toView } from '../proposals/index.ts';
import { storageErrorCode } from '../state/index.ts';
import { type AppEnv, correlation, jsonBodies, notFound, readJson } from './common.ts';
import { HttpError, toErrorResponse } from './errors.ts';

export interface OperatorDecisions {
  /** Verify a signed decision and apply it; returns the proposal after the decision. */
  decide(
    proposalId: string,
    statement: string | { webauthn: unknown },
  ): Promise<{ proposalId: string; outcome: string }>;
  /** Verify a signed lockdown statement and apply it. */
  lockdown(jws: string): Promise<{ lockdown: boolean; scope: string }>;
  /** The approval card: everything a person needs to decide. */
  card(proposalId: string): Promise<unknown>;
}

/** Evidence gaps found at start, and their signed acknowledgement. */
export interface OperatorGaps {
  open(): readonly unknown[];
  acknowledge(jws: string): Promise<unknown>;
}

export interface OperatorAppDeps {
  readonly proposals: ProposalService;
  readonly lockdown: Pick<Lockdown, 'list'>;
  readonly decisions: OperatorDecisions;
  readonly gaps?: OperatorGaps;
  readonly posture: () => Promise<Posture>;
  readonly maxBodyBytes: number;
  readonly log: (level: 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

const ListQuerySchema = z.object({
  status: ProposalStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cursor: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be the nextCursor of a previous page')
    .transform(Number)
    .optional(),
});

export function createOperatorApp(deps: OperatorAppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => toErrorResponse(c, err, (e) => deps.log('error', 'operator request failed', { err: e })));
  app.use('*', correlation());
  app.use('/v1/*', jsonBodies(deps.maxBodyBytes));
  notFound(app);

  app.get('/v1/proposals', (c) => {
    const q = ListQuerySchema.safeParse(c.req.query());
    if (!q.success) throw new HttpError('INVALID_INPUT', describeIssue(q.error).message);
    const page = deps.proposals.page(q.data.status ?? null, q.data.limit, q.data.cursor ?? null);
    return c.json({
      proposals: page.items.map((rec) => ({ ...toView(rec), principal: rec.row.principal })),
      lockdowns: deps.lockdown.list(),
      // Never a silent cap: how many older ones there are, and the cursor that shows them.
      more: page.more,
      nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
    });
  });

  app.get('/v1/proposals/:id', async (c) => c.json({ card: await deps.decisions.card(c.req.param('id')) }));

  app.post('/v1/proposals/:id/decisions', async (c) => {
    const body = DecisionBodySchema.safeParse(await readJson(c));
    if (!body.success) {
      throw new HttpError('INVALID_INPUT', 'body: must be {"jws": "<compact JWS>"} or {"webauthn": {<assertion>}}');
    }
    const statement = 'jws' in body.data ? body.data.jws : { webauthn: body.data.webauthn };
    const id = c.req.param('id');
    const before = deps.proposals.load(id)?.row.status;
    let result: { proposalId: string; outcome: string };
    try {
      result = await deps.decisions.decide(id, statement);
    } catch (err) {
      // INVARIANT: never a 5xx for a decision that took effect. A storage failure after the decision was
      // committed (e.g. while starting the execution) is answered with what the state really says.
      const after = storageErrorCode(err) !== null ? deps.proposals.load(id) : undefined;
      if (!after || after.row.status === before) throw err;
      deps.log('error', 'decision applied, then a storage failure', { err, proposalId: id });
      const claimed = after.row.exec_state !== 'none';
      const next =
        after.row.status !== 'approved'
          ? ''
          : claimed
            ? ' Its execution had been claimed, so it will never run again; at the next start it becomes outcome_unknown and the evidence log shows whether gog ran'
            : ' It runs once the state database can be written again, at the latest at the next start';
      return c.json({
        outcome: after.row.status,
        proposal: toView(after),
        warning: `the decision was recorded, then storage failed (${storageErrorCode(err)}); the proposal is ${after.row.status}.${next}`,
      });
    }
    const rec = deps.proposals.load(result.proposalId);
    return c.json({ outcome: result.outcome, ...(rec ? { proposal: toView(rec) } : {}) });
  });

  app.post('/v1/lockdown', async (c) => {
    const body = SignedStatementSchema.safeParse(await readJson(c));
    if (!body.success) throw new HttpError('INVALID_INPUT', describeIssue(body.error).message);
    return c.json(await deps.decisions.lockdown(body.data.jws));
  });

  app.get('/v1/posture', async (c) => c.json(await deps.posture()));

  const gaps = deps.gaps;
  if (gaps) {
    app.get('/v1/evidence/gaps', (c) => c.json({ gaps: gaps.open() }));
    app.post('/v1/evidence/gaps/acknowledge', async (c) => {
      const body = SignedStatementSchema.safeParse(await readJson(c));
      if (!body.success) throw new HttpError('INVALID_INPUT', describeIssue(body.error).message);
      return c.json(await gaps.acknowledge(body.data.jws));
    });
  }

  return app;
}
