// Request guards of the console: security headers, Host and Origin checks, session cookie, CSRF token.
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ConsoleSession, SessionStore } from './sessions.ts';

export const SESSION_COOKIE = 'mw_console_session';
export const CSRF_HEADER = 'x-mailwarden-csrf';

export type ConsoleEnv = { Variables: { session: ConsoleSession } };

// SECURITY: scripts and styles only from the console itself, no inline code, no framing, no form posts,
// no network access anywhere but the console's own origin.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function errorJson(c: Context, status: 400 | 401 | 403 | 404 | 413 | 421 | 502, code: string, message: string) {
  return c.json({ error: { code, message, correlationId: randomUUID() } }, status);
}

const isApi = (c: Context) => c.req.path.startsWith('/api/');

/** Headers on every answer, errors included. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    // The login link carries a secret; no page may pass it on.
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  };
}

/**
 * SECURITY: DNS rebinding defence. A page on another site that rebinds its name to 127.0.0.1 reaches this
 * server with its own name in Host; only the exact host:port the console is bound to is served.
 */
export function hostCheck(expectedHosts: () => readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host')?.toLowerCase();
    const hosts = expectedHosts();
    if (host === undefined || !hosts.some((h) => h.toLowerCase() === host)) {
      return errorJson(c, 421, 'WRONG_HOST', `this console answers only as http://${hosts[0]}/`);
    }
    return next();
  };
}

/** SECURITY: agent keys, tokens or any other bearer credential never authenticate here. */
export function refuseBearer(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.header('authorization') !== undefined) {
      return errorJson(
        c,
        401,
        'UNAUTHENTICATED',
        'the console accepts only an operator login; open the link printed by `mailwarden console`',
      );
    }
    return next();
  };
}

const LOGIN_NEEDED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailwarden console: log in</title></head>
<body><main class="narrow"><h1>Log in to the mailwarden console</h1>
<p>Open the one-time login link printed by <code>mailwarden console</code> on the machine that runs it.
A link works once; start the command again for a new one.</p></main></body></html>`;

export function requireSession(sessions: SessionStore): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const session = sessions.touch(getCookie(c, SESSION_COOKIE));
    if (!session) {
      if (isApi(c) || c.req.method !== 'GET') {
        return errorJson(
          c,
          401,
          'UNAUTHENTICATED',
          'no console session; log in with the link printed by `mailwarden console`',
        );
      }
      return c.html(LOGIN_NEEDED_PAGE, 401);
    }
    c.set('session', session);
    return next();
  };
}

/**
 * SECURITY: every state change is a POST from the console's own origin, with the session's CSRF token in a
 * header (which a cross-site form cannot set) and a JSON body.
 */
export function csrfCheck(
  sessions: SessionStore,
  expectedOrigins: () => readonly string[],
): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (c.req.method !== 'POST') return errorJson(c, 403, 'FORBIDDEN', 'only GET and POST are served');
    const origin = c.req.header('origin');
    if (origin === undefined || !expectedOrigins().includes(origin)) {
      return errorJson(c, 403, 'BAD_ORIGIN', `requests that change anything must come from ${expectedOrigins()[0]}`);
    }
    if (!sessions.checkCsrf(c.get('session'), c.req.header(CSRF_HEADER))) {
      return errorJson(c, 403, 'BAD_CSRF_TOKEN', `missing or wrong ${CSRF_HEADER} header; reload the console`);
    }
    if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
      return errorJson(c, 400, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with "Content-Type: application/json"');
    }
    return next();
  };
}
