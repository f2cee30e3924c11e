// The console's routes: login, the page and its assets, and a narrow JSON API that forwards to operator.sock.
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { DecisionBodySchema, ErrorBodySchema, PostureSchema, SignedStatementSchema } from '../../shared/index.ts';
import { CardAnswerSchema, DecisionAnswerSchema, LockdownAnswerSchema, ProposalListAnswerSchema } from './answers.ts';
import type { ConsoleAssets } from './assets.ts';
import {
  type ConsoleEnv,
  CSRF_HEADER,
  csrfCheck,
  errorJson,
  hostCheck,
  refuseBearer,
  requireSession,
  SESSION_COOKIE,
  securityHeaders,
} from './guards.ts';
import { addPasskeyRoutes, type EnrolledPasskey } from './passkeys.ts';
import { markRecipients } from './recipients.ts';
import type { SessionStore } from './sessions.ts';

/** One request to operator.sock; the console holds no other way into the sidecar. */
export type OperatorCall = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: unknown }>;

/** Whether `approverId` is configured, and whether its configured key is the Ed25519 key with this `x`. */
export type EnrolmentCheck = (approverId: string, x: string) => { configured: boolean; matches: boolean };

export interface ConsoleAppDeps {
  readonly sessions: SessionStore;
  readonly operator: OperatorCall;
  /** The host:port the console is bound to, as a browser writes it in Host. */
  readonly host: () => string;
  readonly assets: ConsoleAssets;
  readonly configFile: string;
  /** The mailbox account (gog.account); its domain counts as internal. */
  readonly account: string;
  /** Approver ids configured right now (read fresh, so an enrolment shows without a restart). */
  readonly approvers: () => string[];
  readonly enrolment: EnrolmentCheck;
  readonly sessionMaxAgeSeconds: number;
  /**
   * Further origins the console answers under besides http://<host>: http://localhost:<port> when bound to a
   * loopback address (passkeys need a host name), and an origin given with --origin (e.g. a TLS tunnel).
   */
  readonly extraOrigins?: () => string[];
  /** Passkeys enrolled in the config right now. */
  readonly passkeys?: () => EnrolledPasskey[];
  /** Where unexpected errors go (the console's stderr); they never reach the browser. */
  readonly logError?: (err: unknown) => void;
}

const ProposalIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);
const ApproverIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/);
const JwkXSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export function createConsoleApp(deps: ConsoleAppDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const origins = () => [`http://${deps.host()}`, ...(deps.extraOrigins?.() ?? [])];
  const hostOf = (origin: string) => new URL(origin).host;
  const originOf = (host: string) => origins().find((o) => hostOf(o).toLowerCase() === host.toLowerCase()) ?? null;

  app.onError((err, c) => {
    deps.logError?.(err);
    return errorJson(c, 502, 'CONSOLE_ERROR', 'the console could not complete the request; see its log');
  });
  app.notFound((c) => errorJson(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
  app.use('*', securityHeaders());
  app.use(
    '*',
    hostCheck(() => origins().map(hostOf)),
  );
  app.use('*', refuseBearer());

  app.get('/login', (c) => {
    const token = c.req.query('token') ?? '';
    const session = token.length > 0 && token.length <= 128 ? deps.sessions.redeemLoginToken(token) : null;
    if (!session) {
      return c.html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Login link not valid</title></head><body><main><h1>This login link is not valid</h1><p>It was used already or has expired. Start <code>mailwarden console</code> again for a new link.</p></main></body></html>',
        401,
      );
    }
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: deps.sessionMaxAgeSeconds,
    });
    return c.redirect('/', 303);
  });

  // Browsers ask for it on every page; an empty answer keeps their consoles free of errors.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  app.use('*', requireSession(deps.sessions));
  app.use('*', csrfCheck(deps.sessions, origins));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => errorJson(c, 413, 'PAYLOAD_TOO_LARGE', 'the body is larger than 64 KiB'),
    }),
  );

  app.get('/', (c) => c.html(deps.assets.page));
  app.get('/assets/:name', (c) => {
    const asset = deps.assets.files.get(c.req.param('name'));
    if (!asset) return errorJson(c, 404, 'NOT_FOUND', 'no such asset');
    return c.body(asset.body, 200, { 'content-type': asset.type });
  });

  app.get('/api/session', (c) =>
    c.json({
      csrfToken: c.get('session').csrfToken,
      csrfHeader: CSRF_HEADER,
      account: deps.account,
      configFile: deps.configFile,
      approvers: deps.approvers(),
    }),
  );

  app.post('/api/logout', (c) => {
    deps.sessions.end(c.get('session').id);
    setCookie(c, SESSION_COOKIE, '', { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: 0 });
    return c.json({ ok: true });
  });

  type Answer<T> = { ok: true; data: T } | { ok: false; response: Response };
  /** One call to operator.sock, its answer parsed: the data, or the response to give the browser instead. */
  async function ask<T>(
    c: Context<ConsoleEnv>,
    schema: z.ZodType<T>,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Answer<T>> {
    let r: { status: number; json: unknown };
    try {
      r = await deps.operator(method, path, body);
    } catch (err) {
      return { ok: false, response: errorJson(c, 502, 'SIDECAR_UNREACHABLE', (err as Error).message) };
    }
    if (r.status !== 200) {
      // The sidecar's refusals (a wrong hash, a replay, an unknown proposal) reach the operator as they are.
      const e = ErrorBodySchema.safeParse(r.json);
      const status = (r.status >= 400 && r.status <= 599 ? r.status : 502) as ContentfulStatusCode;
      return {
        ok: false,
        response: e.success
          ? c.json(e.data, status)
          : errorJson(c, 502, 'SIDECAR_ERROR', `the sidecar answered ${r.status} without an error body`),
      };
    }
    const parsed = schema.safeParse(r.json);
    if (parsed.success) return { ok: true, data: parsed.data };
    return {
      ok: false,
      response: errorJson(c, 502, 'SIDECAR_ERROR', `the sidecar's answer to ${method} ${path} has an unexpected shape`),
    };
  }

  app.get('/api/proposals', async (c) => {
    const view = c.req.query('view') === 'history' ? 'history' : 'pending';
    const path = view === 'pending' ? '/v1/proposals?status=pending_approval' : '/v1/proposals?limit=200';
    const a = await ask(c, ProposalListAnswerSchema, 'GET', path);
    if (!a.ok) return a.response;
    // Results of executed reads can hold mail; the lists carry only what a decision needs.
    const proposals = a.data.proposals
      .filter((p) =>
        view === 'pending'
          ? p.status === 'pending_approval'
          : p.decision.effect === 'approve' && p.status !== 'pending_approval',
      )
      .map(({ id, hash, action, status, principal, decision, createdAt, expiresAt, error }) => ({
        id,
        hash,
        action,
        status,
        principal: principal ?? null,
        decision,
        createdAt,
        expiresAt: expiresAt ?? null,
        error: error ?? null,
      }));
    return c.json({ proposals, lockdowns: a.data.lockdowns });
  });

  app.get('/api/proposals/:id', async (c) => {
    const id = ProposalIdSchema.safeParse(c.req.param('id'));
    if (!id.success) return errorJson(c, 400, 'INVALID_INPUT', 'id: not a proposal id');
    const a = await ask(c, CardAnswerSchema, 'GET', `/v1/proposals/${encodeURIComponent(id.data)}`);
    if (!a.ok) return a.response;
    return c.json({ card: a.data.card, recipients: markRecipients(a.data.card, deps.account), account: deps.account });
  });

  const statementOf = async (c: Context<ConsoleEnv>) =>
    SignedStatementSchema.safeParse(await c.req.json().catch(() => null));

  // SECURITY: the signed statement or passkey assertion is forwarded as it is; the console cannot sign, only carry.
  app.post('/api/proposals/:id/decisions', async (c) => {
    const id = ProposalIdSchema.safeParse(c.req.param('id'));
    if (!id.success) return errorJson(c, 400, 'INVALID_INPUT', 'id: not a proposal id');
    const body = DecisionBodySchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) {
      return errorJson(
        c,
        400,
        'INVALID_INPUT',
        'body: must be {"jws": "<compact JWS>"} or {"webauthn": {<assertion>}}',
      );
    }
    const path = `/v1/proposals/${encodeURIComponent(id.data)}/decisions`;
    const forward = 'jws' in body.data ? { jws: body.data.jws } : { webauthn: body.data.webauthn };
    const a = await ask(c, DecisionAnswerSchema, 'POST', path, forward);
    return a.ok ? c.json(a.data) : a.response;
  });

  app.post('/api/lockdown', async (c) => {
    const body = await statementOf(c);
    if (!body.success) return errorJson(c, 400, 'INVALID_INPUT', 'body: must be {"jws": "<compact JWS>"}');
    const a = await ask(c, LockdownAnswerSchema, 'POST', '/v1/lockdown', { jws: body.data.jws });
    return a.ok ? c.json(a.data) : a.response;
  });

  app.get('/api/posture', async (c) => {
    const a = await ask(c, PostureSchema, 'GET', '/v1/posture');
    return a.ok ? c.json(a.data) : a.response;
  });

  app.get('/api/enrolment', (c) => {
    const id = ApproverIdSchema.safeParse(c.req.query('id'));
    const x = JwkXSchema.safeParse(c.req.query('x'));
    if (!id.success || !x.success)
      return errorJson(c, 400, 'INVALID_INPUT', 'id and x: an approver id and an Ed25519 JWK "x"');
    return c.json(deps.enrolment(id.data, x.data));
  });

  addPasskeyRoutes(app, {
    originOf,
    enrolled: () => deps.passkeys?.() ?? [],
    configFile: deps.configFile,
  });

  return app;
}
