// Middleware both sockets share: correlation ids, JSON-only bodies with a size cap, 404s in the contract's shape.
import { randomUUID } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorBody, HttpError } from './errors.ts';

export type AppEnv = {
  Variables: {
    correlationId: string;
    principal: string;
    /** Gives back the agent's slot of its fair share (agent socket only; safe to call twice). */
    releaseShare?: () => void;
  };
};

const CORRELATION = /^[A-Za-z0-9_.:-]{1,128}$/;

export function correlation(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header('x-correlation-id');
    const id = given && CORRELATION.test(given) ? given : randomUUID();
    c.set('correlationId', id);
    // Set before the handler runs: a header added to a finished answer makes Hono rebuild it as a stream.
    c.header('x-correlation-id', id);
    await next();
  };
}

/** Whether the request says a body follows: chunked, or a Content-Length above zero. */
function declaresBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return c.req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

export function jsonBodies(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (c: Context) =>
    c.json(
      errorBody(
        'PAYLOAD_TOO_LARGE',
        `request body is larger than the configured limit of ${maxBytes} bytes (limits.maxBodyBytes)`,
        c.get('correlationId' as never) ?? 'none',
      ),
      413,
    );
  // Only bodies without a Content-Length (chunked) need the counting stream; a declared length is enforced by
  // Node's HTTP parser, which never hands over more bytes than the header says.
  const limit = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method !== 'POST' && c.req.method !== 'PUT' && c.req.method !== 'PATCH') return next();
    if (!declaresBody(c)) return next();
    const length = c.req.header('content-length');
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with "Content-Type: application/json"');
    }
    if (length !== undefined && /^\d+$/.test(length)) {
      if (Number(length) > maxBytes) return tooLarge(c);
      return next();
    }
    return limit(c, next);
  };
}

/**
 * Reads a request's body and throws it away, for an answer that will close the connection before the body was
 * wanted. A client that sends its headers and its body in two writes (Python's http.client does) would otherwise
 * have the second write fail against the closed socket and report the sidecar unreachable instead of reading the
 * answer. Gives up after `maxBytes` or `withinMs`: a body too large to accept or too slow to wait for is not read.
 */
export async function discardBody(c: Context, maxBytes: number, withinMs: number): Promise<void> {
  if (!declaresBody(c)) return;
  const length = c.req.header('content-length');
  if (length !== undefined && !(Number(length) <= maxBytes)) return;
  const body = c.req.raw.body;
  if (!body) return;
  const reader = body.getReader();
  const timer = setTimeout(() => void reader.cancel().catch(() => {}), withinMs);
  try {
    let seen = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
      if (seen > maxBytes) return void (await reader.cancel());
    }
  } catch {
    // A client that goes away mid-body: nothing to wait for.
  } finally {
    clearTimeout(timer);
  }
}

/** A lone UTF-16 surrogate anywhere in a body is refused as input, naming where it is. */
export function refuseLoneSurrogates(value: unknown): void {
  const at = loneSurrogateAt(value, '');
  if (at !== null) {
    throw new HttpError(
      'INVALID_INPUT',
      `${at || 'body'}: contains a lone UTF-16 surrogate (e.g. "\\ud800"), which is not text; send well-formed Unicode`,
    );
  }
}

export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0) throw new HttpError('INVALID_JSON', 'the request needs a JSON body');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('INVALID_JSON', 'the request body is not valid JSON');
  }
  refuseLoneSurrogates(value);
  return value;
}

/**
 * The path of the first string (or key) in `value` holding a lone UTF-16 surrogate, or null. JSON allows
 * "\ud800" escapes, but such a string is not Unicode text and cannot be canonicalised, hashed or sent.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function loneSurrogateAt(value: unknown, path: string): string | null {
  // Iterative: a body may nest thousands of levels deep.
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return p;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], p ? `${p}.${i}` : String(i)]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i]!;
        const here = p ? `${p}.${k}` : k;
        if (LONE_SURROGATE.test(k)) return here;
        stack.push([child, here]);
      }
    }
  }
  return null;
}

export function notFound(app: Hono<AppEnv>): void {
  app.notFound((c) =>
    c.json(
      errorBody(
        'NOT_FOUND',
        `no route ${c.req.method} ${new URL(c.req.url).pathname} on this socket`,
        c.get('correlationId') ?? 'none',
      ),
      404,
    ),
  );
}
