// Routes of agent.sock: translate HTTP to calls on proposals/ and back, nothing more.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Context, Hono } from 'hono';
import { validator } from 'hono/validator';
import { z } from 'zod';
import {
  ACTION_CLASS,
  ACTION_DESCRIPTIONS,
  ACTION_NAMES,
  ActionParamSchemas,
  type CatalogResponse,
  describeIssue,
  isActionName,
  ProposalRequestSchema,
} from '../../shared/index.ts';
import type { AgentAuthenticator, RateLimiter, TokenService } from '../auth/index.ts';
import { looksLikeToken } from '../auth/index.ts';
import type { Lockdown } from '../lockdown/index.ts';
import type { CompiledPolicy } from '../policy/index.ts';
import { evaluatePolicy } from '../policy/index.ts';
import { type ProposalService, submissionStatus, toView } from '../proposals/index.ts';
import { createAuthTarpit } from './auth-tarpit.ts';
import { type AppEnv, correlation, discardBody, jsonBodies, notFound, refuseLoneSurrogates } from './common.ts';
import { HttpError, toErrorResponse } from './errors.ts';
import { createFairShare } from './fair-share.ts';
import { createThrottledLog } from './log-throttle.ts';

export interface AgentAppDeps {
  readonly version: string;
  readonly proposals: ProposalService;
  /** What is locked: health reports a global lockdown, the catalogue shows each action's effect under it. */
  readonly lockdown: Pick<Lockdown, 'isLocked' | 'state'>;
  readonly policy: CompiledPolicy;
  readonly agents: AgentAuthenticator;
  readonly tokens: TokenService | null;
  readonly requireTokens: boolean;
  readonly rateLimiter: RateLimiter;
  readonly maxBodyBytes: number;
  readonly maxWaitSeconds: number;
  readonly log: (level: 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

const PARAM_JSON_SCHEMAS = Object.fromEntries(
  ACTION_NAMES.map((a) => [
    a,
    z.toJSONSchema(ActionParamSchemas[a], { unrepresentable: 'any' }) as Record<string, unknown>,
  ]),
);

/** How long a rate-limited answer is held. */
const RATE_LIMITED_HOLD_MS = 250;

/**
 * Requests one agent may have in progress while another agent is active. Eight keep a busy agent's evidence and
 * state writes grouped. An agent that is locked down, or whose answers are mostly refusals (four in a row, or
 * three in every four: denied, invalid input), gets one: what it asks is refused anyway, so one at a time costs it
 * nothing it could use and leaves the loop to the others; its successes give it its ordinary share back.
 */
const SHARE = { perAgent: 8, perRestrictedAgent: 1, activeMs: 1000 } as const;

/** How long a refused request's body is waited for before its connection is closed regardless. */
const UNAUTHENTICATED_BODY_WAIT_MS = 2000;

const WaitSchema = z.coerce.number().int().min(0).max(3600);

export function createAgentApp(deps: AgentAppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // SECURITY: anyone who can reach the socket can fail authentication; they must not be able to drive log I/O.
  const authFailures = createThrottledLog((msg, extra) => deps.log('warn', msg, extra), 'agent authentication failed');
  const tarpit = createAuthTarpit();
  const share = createFairShare(SHARE);
  /**
   * A failed authentication: noted, held beyond the budget, answered 401 and the connection closed, once the
   * body the client is still sending has arrived (so the client reads the 401 rather than a broken pipe).
   */
  const refuse = async (c: Context<AppEnv>, message: string): Promise<never> => {
    authFailures.note({ path: c.req.path });
    const received = discardBody(c, deps.maxBodyBytes, UNAUTHENTICATED_BODY_WAIT_MS);
    const hold = tarpit.delayFor();
    if (hold > 0) await sleep(hold);
    await received;
    c.header('Connection', 'close');
    throw new HttpError('UNAUTHENTICATED', message);
  };
  app.onError((err, c) => toErrorResponse(c, err, (e) => deps.log('error', 'request failed', { err: e })));
  app.use('*', correlation());
  notFound(app);

  app.get('/v1/health', (c) => {
    const locked = deps.lockdown.isLocked('global');
    return c.json({ status: locked ? 'lockdown' : 'ok', version: deps.version });
  });

  app.use('/v1/*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/.exec(header);
    if (!match) return refuse(c, 'send "Authorization: Bearer <agent key or token>"');
    const credential = match[1]!;
    const isTokenRoute = c.req.path === '/v1/auth/token';
    let principal: string | null = null;
    if (looksLikeToken(credential)) {
      principal = !isTokenRoute && deps.tokens ? await deps.tokens.redeem(credential) : null;
    } else {
      principal = deps.agents.identify(credential);
      if (principal && deps.requireTokens && !isTokenRoute) {
        throw new HttpError(
          'TOKEN_REQUIRED',
          'this sidecar takes the agent key only at POST /v1/auth/token; mint a token and send that',
        );
      }
    }
    if (!principal) return refuse(c, 'the agent key or token is not valid (tokens are single use and short-lived)');
    if (!deps.rateLimiter.take(principal)) {
      // SECURITY: an agent over its rate would otherwise get its 429s as fast as it can ask, and those cheap
      // answers still take turns from every other agent on the loop. Its answer is held a moment; no other
      // agent is held. Retry-After says when its next request is due.
      const wait = deps.rateLimiter.retryAfterMs(principal);
      await sleep(RATE_LIMITED_HOLD_MS);
      c.header('Retry-After', String(Math.max(1, Math.ceil(wait / 1000))));
      throw new HttpError(
        'RATE_LIMITED',
        'too many requests from this agent; wait a little and retry (limits.requestsPerMinute)',
      );
    }
    c.set('principal', principal);
    // SECURITY: one agent's flood must not slow the others; beyond its share it waits for its own requests.
    const lockdown = deps.lockdown.state(principal);
    const slot = share.enter(principal, lockdown.principal !== null || lockdown.global !== null);
    const release = typeof slot === 'function' ? slot : await slot;
    c.set('releaseShare', release);
    try {
      await next();
      share.answered(principal, c.res.status >= 400 && c.res.status < 500);
    } finally {
      release();
    }
  });
  app.use('/v1/*', jsonBodies(deps.maxBodyBytes));

  app.post('/v1/auth/token', async (c) => {
    if (!deps.tokens) throw new HttpError('NOT_FOUND', 'token minting is not configured on this sidecar');
    return c.json(await deps.tokens.mint(c.get('principal')));
  });

  app.get('/v1/catalog', (c) => {
    const principal = c.get('principal');
    const lockdown = deps.lockdown.state(principal);
    const body: CatalogResponse = {
      actions: ACTION_NAMES.map((action) => {
        const outcome = evaluatePolicy(deps.policy, { action, principal, lockdown });
        return {
          action,
          class: ACTION_CLASS[action],
          description: ACTION_DESCRIPTIONS[action],
          effect: outcome.ok ? outcome.decision.effect : 'deny',
          paramsSchema: PARAM_JSON_SCHEMAS[action]!,
        };
      }),
    };
    return c.json(body);
  });

  // The one validation of a proposal: the action picks its params schema; what passes is typed from here on.
  // Hono parses a JSON body (a malformed one becomes INVALID_JSON in toErrorResponse); a request without a JSON
  // body is refused here.
  const proposalRequest = validator('json', async (body, c) => {
    if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
      throw new HttpError('INVALID_JSON', 'the request needs a JSON body');
    }
    refuseLoneSurrogates(body);
    const parsed = ProposalRequestSchema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = describeIssue(parsed.error, { unknownKeysHint: 'see GET /v1/catalog' });
    const action = (body as { action?: unknown } | null)?.action;
    if (issue.field.startsWith('params') && isActionName(action)) {
      await deps.proposals.rejectInput(
        c.get('principal'),
        action,
        issue.field,
        parsed.error.issues[0]?.code ?? 'invalid',
      );
    }
    throw new HttpError('INVALID_INPUT', issue.message);
  });

  app.post('/v1/proposals', proposalRequest, async (c) => {
    const rec = await deps.proposals.submit(c.get('principal'), c.req.valid('json'));
    const view = toView(rec);
    return c.json({ proposal: view }, submissionStatus(view));
  });

  app.get('/v1/proposals/:id', async (c) => {
    const id = c.req.param('id');
    const waitRaw = c.req.query('wait');
    let rec = deps.proposals.getOwn(c.get('principal'), id);
    if (waitRaw !== undefined) {
      const wait = WaitSchema.safeParse(waitRaw);
      if (!wait.success) throw new HttpError('INVALID_INPUT', 'wait: must be a whole number of seconds');
      const seconds = Math.min(wait.data, deps.maxWaitSeconds);
      // Waiting for an approver is not work on the loop: it must not hold a slot of the agent's share.
      c.get('releaseShare')?.();
      rec = await deps.proposals.waitForChange(c.get('principal'), id, seconds, c.req.raw.signal);
    }
    return c.json({ proposal: toView(rec) });
  });

  app.post('/v1/proposals/:id/cancel', async (c) => {
    const rec = await deps.proposals.cancel(c.get('principal'), c.req.param('id'));
    return c.json({ proposal: toView(rec) });
  });

  return app;
}
