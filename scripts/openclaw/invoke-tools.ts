// Drives a running OpenClaw gateway's POST /tools/invoke and checks the mailwarden tools against the real sidecar.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAgentClient, fetchCatalog, resolveAgentKey } from '../../plugin/client/index.ts';
import { TOOL_DEFINITIONS, TOOL_NAMES } from '../../plugin/tools/index.ts';
import type { Effect } from '../../shared/wire.ts';

const { values } = parseArgs({
  options: {
    gateway: { type: 'string' },
    token: { type: 'string' },
    socket: { type: 'string' },
    'key-file': { type: 'string' },
    inspect: { type: 'string' },
    config: { type: 'string' },
    'approver-key': { type: 'string' },
  },
});
const gateway = values.gateway ?? fail('--gateway is required');
const token = values.token ?? fail('--token is required');

function fail(message: string): never {
  console.error(`invoke-tools: FAIL: ${message}`);
  process.exit(1);
}

let checks = 0;
function check(condition: unknown, message: string): void {
  if (!condition) fail(message);
  checks += 1;
  console.error(`invoke-tools: ok - ${message}`);
}

interface Invoked {
  readonly raw: string;
  readonly http: number;
  readonly text: string;
  readonly mailwarden: Record<string, unknown> | undefined;
}

async function invoke(tool: string, args: Record<string, unknown>): Promise<Invoked> {
  const res = await fetch(`${gateway}/tools/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tool, args }),
  });
  const raw = await res.text();
  const body = (() => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return null;
    }
  })() as {
    result?: { content?: Array<{ text?: string }>; details?: { mailwarden?: Record<string, unknown> } };
  } | null;
  return {
    raw,
    http: res.status,
    text: body?.result?.content?.map((c) => c.text ?? '').join('\n') ?? '',
    mailwarden: body?.result?.details?.mailwarden,
  };
}

// 1. The host loaded the plugin and sees every tool the manifest declares.
if (values.inspect) {
  const inspect = JSON.parse(readFileSync(values.inspect, 'utf8')) as {
    plugin?: { status?: string; toolNames?: string[] };
  };
  check(inspect.plugin?.status === 'loaded', 'plugins inspect --runtime: mailwarden is loaded');
  check(
    JSON.stringify([...(inspect.plugin?.toolNames ?? [])].sort()) === JSON.stringify([...TOOL_NAMES].sort()),
    `plugins inspect --runtime: all ${TOOL_NAMES.length} tools registered`,
  );
}

// 2. What the policy does with each action, straight from the sidecar.
const key = resolveAgentKey({ agentKeyFile: values['key-file'] });
if (!key.ok) fail(key.message);
const client = createAgentClient({ socketPath: values.socket ?? fail('--socket is required'), agentKey: key.agentKey });
const catalog = await fetchCatalog(client);
if (!catalog.ok) fail(`catalog: ${catalog.message}`);
const effect = new Map<string, Effect>(catalog.value.actions.map((a) => [a.action, a.effect]));

// 3. Denied tools are not offered by the host at all; the others are.
for (const tool of TOOL_DEFINITIONS) {
  if (tool.kind !== 'action') continue;
  const denied = effect.get(tool.action) !== 'allow' && effect.get(tool.action) !== 'approve';
  // An empty argument object: a visible tool answers 200 with invalid_params, a hidden one 404.
  const r = await invoke(tool.name, { __probe: true });
  if (denied) check(r.http === 404, `${tool.name} (${tool.action}: deny) is hidden by the host (HTTP ${r.http})`);
  else
    check(
      r.http === 200 && r.mailwarden?.outcome === 'invalid_params',
      `${tool.name} (${tool.action}: ${effect.get(tool.action)}) is offered and refuses unknown parameters` +
        (r.http === 200 && r.mailwarden?.outcome === 'invalid_params'
          ? ''
          : ` (got HTTP ${r.http}: ${r.raw.slice(0, 400)})`),
    );
}

// 4. Real calls: the outcome follows the policy's effect.
const expectations: Array<[string, Record<string, unknown>]> = [
  ['mail_search', { query: 'in:inbox', max: 5 }],
  ['mail_labels_list', {}],
  ['calendar_events', { start: '2020-01-01T00:00:00Z', end: '2040-01-01T00:00:00Z' }],
  ['mail_draft_create', { to: ['someone@example.com'], subject: 'e2e', body: 'Hello from the e2e test.' }],
  ['mail_send', { to: ['someone@example.com'], subject: 'e2e', body: 'Hello.', justification: 'e2e test' }],
];
let pendingId: string | undefined;
for (const [name, args] of expectations) {
  const tool = TOOL_DEFINITIONS.find((t) => t.name === name);
  if (tool?.kind !== 'action') continue;
  const e = effect.get(tool.action);
  if (e !== 'allow' && e !== 'approve') continue;
  const r = await invoke(name, args);
  const outcome = r.mailwarden?.outcome;
  if (e === 'allow') {
    // An allowed action may still be stopped by a content rule (e.g. an outbound allowlist), never faked.
    check(
      r.http === 200 && (outcome === 'executed' || (tool.sideEffecting && outcome === 'denied')),
      `${name} (allow) ran through the host: ${outcome}`,
    );
    if (outcome === 'executed') check(JSON.parse(r.text).status === 'executed', `${name} returns the data as JSON`);
    if (name === 'mail_search') {
      const threads = JSON.parse(r.text).result?.threads as unknown[] | undefined;
      check((threads?.length ?? 0) > 0, `mail_search finds the demo inbox (${threads?.length} threads)`);
    }
  } else {
    check(r.http === 200 && (outcome === 'pending_approval' || outcome === 'denied'), `${name} (approve): ${outcome}`);
    if (outcome === 'pending_approval') {
      check(r.text.includes("Waiting for the owner's approval"), `${name} tells the model it waits for approval`);
      pendingId = typeof r.mailwarden?.proposalId === 'string' ? r.mailwarden.proposalId : undefined;
    }
  }
}
if (pendingId) {
  const r = await invoke('mail_proposal_status', { proposalId: pendingId });
  check(r.mailwarden?.outcome === 'pending_approval', `mail_proposal_status sees ${pendingId} still pending`);
}

// 4b. The approval round trip: the model proposes, the owner approves out of band, the model collects the result.
const approvable = TOOL_DEFINITIONS.find(
  (t) => t.kind === 'action' && t.name === 'mail_archive' && effect.get(t.action) === 'approve',
);
if (approvable) {
  const search = await invoke('mail_search', { query: 'in:inbox', max: 10 });
  const threadId = JSON.parse(search.text).result?.threads?.[0]?.threadId as string | undefined;
  check(typeof threadId === 'string', `mail_search found a thread (${threadId ?? search.text.slice(0, 300)})`);
  const thread = await invoke('mail_thread_get', { threadId });
  const messageId = JSON.parse(thread.text).result?.thread?.messages?.[0]?.id as string | undefined;
  check(
    typeof messageId === 'string',
    `mail_thread_get returned its messages (${messageId ?? thread.text.slice(0, 300)})`,
  );
  const proposed = await invoke('mail_archive', { messageIds: [messageId], justification: 'inbox clean-up' });
  const id = proposed.mailwarden?.proposalId;
  check(
    proposed.mailwarden?.outcome === 'pending_approval' && typeof id === 'string',
    `mail_archive (approve) waits for the owner: ${proposed.text.slice(0, 80)}…`,
  );
  if (values.config && values['approver-key'] && typeof id === 'string') {
    const root = join(import.meta.dirname, '..', '..');
    execFileSync(
      process.execPath,
      [
        join(root, 'bin/mailwarden.mjs'),
        'approve',
        id,
        '--config',
        values.config,
        '--key',
        values['approver-key'],
        '--yes',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    check(true, `the owner approved ${id} with mailwarden approve`);
    const done = await invoke('mail_proposal_status', { proposalId: id, waitSeconds: 20 });
    check(
      done.mailwarden?.outcome === 'executed',
      `mail_proposal_status returns the executed result: ${done.mailwarden?.outcome}`,
    );
  }
}

// 5. SECURITY: no parameter can point the plugin elsewhere or swap its key.
for (const [param, value] of [
  ['socketPath', '/tmp/evil.sock'],
  ['url', 'http://127.0.0.1:1/'],
  ['key', 'attacker-key'],
] as const) {
  const r = await invoke('mail_proposal_status', { proposalId: 'prp_x', [param]: value });
  check(r.mailwarden?.outcome === 'invalid_params', `a "${param}" parameter is refused before anything is sent`);
}

console.error(`invoke-tools: ${checks} checks passed`);
