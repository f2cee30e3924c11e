import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendRaw } from './support/http.ts';
import { editConfig, removeSetup, startTestSidecar, type TestSidecar } from './support/sidecar.ts';

/** 10,000+ in CI; MAILWARDEN_FUZZ_VOLUME sets another number. */
const TOTAL = Number(process.env.MAILWARDEN_FUZZ_VOLUME ?? 10_240);
const PARALLEL = 16;

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'PURGE',
  'REPORT',
  'QUERY',
  'BREW',
  'get',
  'G ET',
] as const;

const LONE = ['\ud800', '\udfff', 'a\ud834b', '\udc00\ud800', 'x\ud83d'];
const FIELDS = ['params.body', 'params.query', 'params.subject', 'justification', 'session.id', 'action'] as const;

interface Case {
  readonly kind: string;
  readonly method: string;
  readonly bytes: Buffer;
}

function withSurrogate(field: (typeof FIELDS)[number], lone: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    action: 'gmail.search',
    params: { query: 'subject:plan' },
    justification: 'checking',
    session: { id: 's1', runtime: 'test' },
  };
  if (field === 'action') body.action = `gmail.search${lone}`;
  else if (field === 'justification') body.justification = `why ${lone}`;
  else if (field === 'session.id') body.session = { id: `s${lone}`, runtime: 'test' };
  else if (field === 'params.body')
    Object.assign(body, {
      action: 'gmail.drafts.create',
      params: { to: ['sam@example.com'], subject: 's', body: `b${lone}` },
    });
  else if (field === 'params.subject')
    Object.assign(body, {
      action: 'gmail.drafts.create',
      params: { to: ['sam@example.com'], subject: `s${lone}`, body: 'b' },
    });
  else body.params = { query: `q${lone}` };
  return body;
}

function requestBytes(method: string, path: string, headers: Record<string, string>, body: Buffer | null): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

function cases(agentKey: string): Case[] {
  const auth = { authorization: `Bearer ${agentKey}` };
  const json = { 'content-type': 'application/json' };
  const paths = fc.constantFrom(
    '/v1/proposals',
    '/v1/catalog',
    '/v1/health',
    '/v1/auth/token',
    '/v1/proposals/00000000-0000-4000-8000-000000000000',
    '/v1/proposals/x/cancel',
    '/%ED%A0%80',
    `/v1/${'a'.repeat(5000)}`,
    '/../../etc/passwd',
    '*',
  );
  const anyMethod = fc
    .tuple(fc.constantFrom(...METHODS), paths, fc.boolean(), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: null }))
    .map(([method, path, withAuth, v]): Case => {
      const body = v === null ? null : Buffer.from(JSON.stringify(v));
      return {
        kind: 'method',
        method,
        bytes: requestBytes(method, path, { ...(withAuth ? auth : {}), ...(body ? json : {}) }, body),
      };
    });
  const surrogates = fc
    .tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...LONE), fc.constantFrom('escaped', 'raw'))
    .map(([field, lone, how]): Case => {
      const text = JSON.stringify(withSurrogate(field, lone));
      // "escaped": the JSON text says \ud800; "raw": the lone surrogate's UTF-8-ish bytes (WTF-8) go on the wire.
      const body =
        how === 'escaped'
          ? Buffer.from(text.replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`))
          : Buffer.from(text, 'utf8');
      return {
        kind: `surrogate:${how}`,
        method: 'POST',
        bytes: requestBytes('POST', '/v1/proposals', { ...auth, ...json }, body),
      };
    });
  const hugeHeaders = fc
    .tuple(
      fc.integer({ min: 17_000, max: 200_000 }),
      fc.constantFrom('x-big', 'authorization', 'cookie'),
      fc.constantFrom(...METHODS.slice(0, 8)),
    )
    .map(
      ([n, name, method]): Case => ({
        kind: 'huge-header',
        method,
        bytes: requestBytes(method, '/v1/catalog', { ...auth, [name]: 'a'.repeat(n) }, null),
      }),
    );
  const manyHeaders = fc.integer({ min: 100, max: 3000 }).map(
    (n): Case => ({
      kind: 'many-headers',
      method: 'GET',
      bytes: requestBytes(
        'GET',
        '/v1/catalog',
        { ...auth, ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'])) },
        null,
      ),
    }),
  );
  const broken = fc
    .constantFrom(
      'GET /v1/health HTTP/9.9\r\n\r\n',
      'GET /v1/health\r\n\r\n',
      'GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      'POST /v1/proposals HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef',
      'POST /v1/proposals HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'POST /v1/proposals HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'GET /v1/health HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
      '\r\n\r\n',
      'TRACE /v1/proposals HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody',
    )
    .map((raw): Case => ({ kind: 'broken', method: raw.split(' ')[0] ?? '', bytes: Buffer.from(raw, 'latin1') }));
  const bodies = fc
    .tuple(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1'),
    )
    .map(
      ([v, type]): Case => ({
        kind: 'body',
        method: 'POST',
        bytes: requestBytes(
          'POST',
          '/v1/proposals',
          { ...auth, 'content-type': type },
          Buffer.from(JSON.stringify({ action: 'gmail.search', params: v })),
        ),
      }),
    );
  const mix = fc.oneof(
    { arbitrary: anyMethod, weight: 4 },
    { arbitrary: surrogates, weight: 3 },
    { arbitrary: hugeHeaders, weight: 1 },
    { arbitrary: manyHeaders, weight: 1 },
    { arbitrary: broken, weight: 1 },
    { arbitrary: bodies, weight: 2 },
  );
  const sampled = fc.sample(mix, { numRuns: TOTAL, seed: 20261130 });
  // Every method and every surrogate field at least once, whatever the sample drew.
  const fixed: Case[] = [
    ...METHODS.map((m) => ({ kind: 'method', method: m, bytes: requestBytes(m, '/v1/catalog', auth, null) })),
    ...FIELDS.flatMap((f) =>
      LONE.map((l) => ({
        kind: 'surrogate:escaped',
        method: 'POST',
        bytes: requestBytes(
          'POST',
          '/v1/proposals',
          { ...auth, ...json },
          Buffer.from(
            JSON.stringify(withSurrogate(f, l)).replace(
              /[\ud800-\udfff]/g,
              (c) => `\\u${c.charCodeAt(0).toString(16)}`,
            ),
          ),
        ),
      })),
    ),
  ];
  return [...fixed, ...sampled];
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0);
}

describe('high-volume fuzzing of a real sidecar', () => {
  let s: TestSidecar;
  beforeAll(async () => {
    s = await startTestSidecar({
      profile: 'draft_assist',
      // The rate limit as high as the config allows, so requests reach validation instead of a 429.
      prepare: (dir) =>
        editConfig(dir, (cfg) => {
          cfg.limits = { requestsPerMinute: 1_000_000 };
          cfg.log = { level: 'warn' };
        }),
    });
  });
  afterAll(async () => {
    await s?.stop();
    if (s) removeSetup(s);
  });

  it(`${TOTAL}+ requests: no 5xx, JSON error bodies, nothing refused is stored, still running`, async () => {
    const all = cases(s.agentKey);
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    const methods = new Set<string>();
    const bad: string[] = [];
    const silent = new Map<string, number>();
    let acknowledged = 0;
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const c = all[next++]!;
        const answer = await sendRaw(s.agentSocket, c.bytes, { quietMs: c.kind === 'broken' ? 1000 : 20_000 });
        const status = statusOf(answer);
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
        methods.add(c.method);
        const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
        if (status === 0) silent.set(`${c.kind} ${c.method}`, (silent.get(`${c.kind} ${c.method}`) ?? 0) + 1);
        if (status >= 500) bad.push(`${c.kind} ${c.method}: ${answer.slice(0, 300)}`);
        else if (status >= 400 && c.method !== 'HEAD') {
          try {
            const e = JSON.parse(body) as { error?: { code?: string } };
            if (!e.error?.code)
              bad.push(
                `${c.kind} ${c.method}: no error code in ${answer.slice(0, 300)} <- ${c.bytes.subarray(0, 120).toString('latin1')}`,
              );
          } catch {
            bad.push(`${c.kind} ${c.method} ${status}: not JSON: ${answer.slice(0, 300)}`);
          }
        }
        if (status < 500 && /"proposal":\{"id"/.test(body)) acknowledged++;
        // An escaped lone surrogate is refused as input, naming where it is.
        if (c.kind === 'surrogate:escaped' && !(status === 400 && /INVALID_INPUT.*lone UTF-16 surrogate/.test(body)))
          bad.push(`${c.kind}: ${status} ${body.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `fuzz-volume: ${all.length} requests in ${seconds.toFixed(1)} s; ${methods.size} methods; ` +
        `by status ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}; ` +
        `by kind ${JSON.stringify(Object.fromEntries(byKind))}\n`,
    );
    process.stdout.write(`fuzz-volume: closed without an answer: ${JSON.stringify(Object.fromEntries(silent))}\n`);
    expect(bad.slice(0, 10)).toEqual([]);
    // Only bytes that hold no request at all (empty lines, which HTTP says to skip) go unanswered.
    expect([...silent.keys()].filter((k) => k !== 'broken \r\n\r\n')).toEqual([]);
    expect(all.length).toBeGreaterThanOrEqual(10_000);
    expect(s.child.exitCode).toBeNull();
    // Stored exactly what was acknowledged with a proposal: no refused request left one behind.
    let stored = 0;
    for (let cursor = ''; ; ) {
      const page = (await call(s.operatorSocket, 'GET', `/v1/proposals?limit=1000${cursor}`)).json as {
        proposals: unknown[];
        nextCursor: string | null;
      };
      stored += page.proposals.length;
      if (!page.nextCursor) break;
      cursor = `&cursor=${page.nextCursor}`;
    }
    expect(stored).toBe(acknowledged);
    expect(s.stderr()).not.toMatch(/unhandled|uncaught/i);
    expect((await call(s.agentSocket, 'GET', '/v1/health')).status).toBe(200);
  }, 240_000);
});
