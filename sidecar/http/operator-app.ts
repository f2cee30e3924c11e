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
import { type ProposalService, toView } from '../proposals/index.ts';
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
  readonly decisions: OperatorDecisions;
  readonly gaps?: OperatorGaps;
  readonly posture: () => Promise<Posture>;
  readonly maxBodyBytes: number;
  readonly log: (level: 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

const ListQuerySchema = z.object({
  status: ProposalStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
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
    const rows = deps.proposals.list(q.data.status ?? null, q.data.limit);
    return c.json({
      proposals: rows.map((rec) => ({ ...toView(rec), principal: rec.row.principal })),
      lockdowns: deps.proposals.lockdowns.list(),
    });
  });

  app.get('/v1/proposals/:id', async (c) => c.json({ card: await deps.decisions.card(c.req.param('id')) }));

  app.post('/v1/proposals/:id/decisions', async (c) => {
    const body = DecisionBodySchema.safeParse(await readJson(c));
    if (!body.success) {
      throw new HttpError('INVALID_INPUT', 'body: must be {"jws": "<compact JWS>"} or {"webauthn": {<assertion>}}');
    }
    const statement = 'jws' in body.data ? body.data.jws : { webauthn: body.data.webauthn };
    const result = await deps.decisions.decide(c.req.param('id'), statement);
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
