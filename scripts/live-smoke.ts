// Opt-in live smoke test against a RUNNING sidecar's agent socket (real gog, real mailbox). Never run in CI.

import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseArgs } from 'node:util';

const USAGE = `usage: node --import tsx scripts/live-smoke.ts --live --socket PATH --key KEY [options]

Talks to a running mailwarden sidecar over its agent socket and checks, against the real mailbox:
  1. GET /v1/health answers
  2. a gmail.search proposal executes
  3. a gmail.send proposal is denied (only submitted when the catalog says the policy denies it)
  4. with --create-draft: a gmail.drafts.create proposal, subject tagged [mailwarden-smoke]

options:
  --live              required; without it nothing is contacted
  --socket PATH       the agent socket (agent.sock)
  --key KEY           the agent key (or set MAILWARDEN_AGENT_KEY)
  --query Q           search query (default: newer_than:1d)
  --create-draft      also create a draft (needs --to)
  --to ADDRESS        draft recipient
  --transcript FILE   where to write the redacted transcript (default: ./mailwarden-smoke-<time>.json)
`;

interface Exchange {
  step: string;
  method: string;
  path: string;
  status: number;
  body: unknown;
}

interface Reply {
  status: number;
  json: unknown;
}

function call(socketPath: string, key: string | null, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (key !== null) headers['authorization'] = `Bearer ${key}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const req = request({ socketPath, method, path, headers, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          // keep the text; the transcript shows its length only
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const KEEP = new Set([
  'status',
  'version',
  'id',
  'action',
  'effect',
  'rules',
  'code',
  'createdAt',
  'correlationId',
  'hash',
]);

/**
 * Redaction for the transcript: structure and ids stay, every other string becomes its length, so
 * no subject, address, body or key ends up in the file.
 */
export function redact(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  if (typeof value === 'string' && !KEEP.has(key)) return `[redacted ${value.length} chars]`;
  return value;
}

function proposalOf(json: unknown): { id?: string; status?: string; effect?: string } {
  const p = (json as { proposal?: { id?: string; status?: string; decision?: { effect?: string } } })?.proposal;
  return { id: p?.id, status: p?.status, effect: p?.decision?.effect } as {
    id?: string;
    status?: string;
    effect?: string;
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      live: { type: 'boolean', default: false },
      socket: { type: 'string' },
      key: { type: 'string' },
      query: { type: 'string', default: 'newer_than:1d' },
      'create-draft': { type: 'boolean', default: false },
      to: { type: 'string' },
      transcript: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const key = values.key ?? process.env['MAILWARDEN_AGENT_KEY'];
  if (!values.live || values.help || !values.socket || !key || (values['create-draft'] && !values.to)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const socket = values.socket;
  const transcriptFile =
    values.transcript ?? `./mailwarden-smoke-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const exchanges: Exchange[] = [];
  const results: { step: string; pass: boolean; note: string }[] = [];
  const step = async (name: string, method: string, path: string, body?: unknown, auth = true) => {
    const reply = await call(socket, auth ? key : null, method, path, body);
    exchanges.push({ step: name, method, path, status: reply.status, body: redact(reply.json) });
    return reply;
  };
  const record = (name: string, pass: boolean, note: string) => {
    results.push({ step: name, pass, note });
    process.stdout.write(`${pass ? 'PASS' : 'FAIL'}  ${name}: ${note}\n`);
  };

  const health = await step('health', 'GET', '/v1/health', undefined, false);
  const status = (health.json as { status?: string })?.status;
  record('health', health.status === 200, `HTTP ${health.status}, status ${status ?? 'missing'}`);

  const search = await step('search', 'POST', '/v1/proposals', {
    action: 'gmail.search',
    params: { query: values.query, max: 3 },
  });
  const s = proposalOf(search.json);
  const threads = (search.json as { proposal?: { result?: { threads?: unknown[] } } })?.proposal?.result?.threads;
  record(
    'search',
    search.status === 200 && s.status === 'executed',
    `HTTP ${search.status}, ${s.status ?? 'no proposal'}, ${threads?.length ?? 0} threads`,
  );

  const catalog = await step('catalog', 'GET', '/v1/catalog');
  const sendEntry = (
    catalog.json as { actions?: { name?: string; action?: string; effect?: string }[] }
  )?.actions?.find((a) => (a.name ?? a.action) === 'gmail.send');
  if (sendEntry?.effect !== 'deny') {
    // SECURITY: never submit a send the policy might allow; that would put real mail on the wire.
    record(
      'denied send',
      false,
      `policy says "${sendEntry?.effect ?? 'unknown'}" for gmail.send; the send probe was not submitted`,
    );
  } else {
    const send = await step('denied send', 'POST', '/v1/proposals', {
      action: 'gmail.send',
      params: {
        to: ['smoke-test@example.invalid'],
        subject: '[mailwarden-smoke] denied send probe',
        body: 'must be denied',
      },
    });
    const p = proposalOf(send.json);
    record(
      'denied send',
      send.status === 403 && p.status === 'denied',
      `HTTP ${send.status}, ${p.status ?? 'no proposal'}`,
    );
  }

  if (values['create-draft'] && values.to) {
    const draft = await step('create draft', 'POST', '/v1/proposals', {
      action: 'gmail.drafts.create',
      params: {
        to: [values.to],
        subject: `[mailwarden-smoke] draft ${new Date().toISOString()}`,
        body: 'Created by the mailwarden live smoke test. Safe to delete.',
      },
    });
    const p = proposalOf(draft.json);
    const pass =
      (draft.status === 200 && p.status === 'executed') || (draft.status === 202 && p.status === 'pending_approval');
    record(
      'create draft',
      pass,
      `HTTP ${draft.status}, ${p.status ?? 'no proposal'}${p.id ? ` (proposal ${p.id})` : ''}`,
    );
  }

  const transcript = { at: new Date().toISOString(), socket, results, exchanges };
  writeFileSync(transcriptFile, `${JSON.stringify(transcript, null, 2)}\n`, { mode: 0o600 });
  process.stdout.write(`transcript (redacted): ${transcriptFile}\n`);
  return results.every((r) => r.pass) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`live smoke failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
