// The Hermes directory plugin, loaded by python3 (stdlib only, -I -S) with a stand-in ctx, against a real sidecar.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient, fetchCatalog } from '../plugin/client/index.ts';
import { TOOL_DEFINITIONS } from '../plugin/tools/index.ts';
import type { TestSidecar } from './support/sidecar.ts';
import { mailwarden, REPO_ROOT, removeSetup, startTestSidecar } from './support/sidecar.ts';

const run = promisify(execFile);

// Stands in for Hermes: records ctx.register_tool calls, then calls handlers the way the registry does
// (`handler(args, **kwargs)`), checking each returns a str.
const HOST = `
import json, sys
sys.path.insert(0, sys.argv[1])
import mailwarden as plugin

class Ctx:
    def __init__(self):
        self.tools = {}
    def register_tool(self, name, toolset, schema, handler, check_fn=None, requires_env=None, is_async=False,
                      description="", emoji="", override=False):
        self.tools[name] = {"toolset": toolset, "schema": schema, "handler": handler, "check_fn": check_fn}

ctx = Ctx()
plugin.register(ctx)
calls = json.loads(sys.stdin.read())
out = {
    "registered": list(ctx.tools),
    "toolsets": sorted({t["toolset"] for t in ctx.tools.values()}),
    "schemas_named": all(t["schema"]["name"] == n and t["schema"]["parameters"]["type"] == "object"
                         for n, t in ctx.tools.items()),
    "available": sorted({bool(t["check_fn"]()) for t in ctx.tools.values()}),
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("requests", "httpx", "urllib3", "yaml")),
    "results": [],
}
for call in calls:
    raw = ctx.tools[call["tool"]]["handler"](call.get("args"), **call.get("kwargs", {}))
    out["results"].append({"type": type(raw).__name__, "value": json.loads(raw)})
print(json.dumps(out))
`;

interface HostOutput {
  registered: string[];
  toolsets: string[];
  schemas_named: boolean;
  available: boolean[];
  modules: string[];
  results: Array<{ type: string; value: Record<string, unknown> }>;
}

let sidecar: TestSidecar;
let dir: string;
let keyFile: string;
let visible: string[];

async function hermes(
  calls: Array<{ tool: string; args?: unknown; kwargs?: Record<string, unknown> }>,
  env: Record<string, string>,
): Promise<HostOutput> {
  const child = run('python3', ['-B', '-I', '-S', '-c', HOST, join(REPO_ROOT, 'plugin/hermes')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  child.child.stdin?.end(JSON.stringify(calls));
  const { stdout } = await child;
  return JSON.parse(stdout) as HostOutput;
}

/** The value the handler returned for call `i`. */
function valueAt(out: HostOutput, i: number): Record<string, unknown> {
  const r = out.results[i];
  if (!r) throw new Error(`no result for call ${i}`);
  return r.value;
}

const configured = () => ({ MAILWARDEN_SOCKET: sidecar.agentSocket, MAILWARDEN_AGENT_KEY_FILE: keyFile });

beforeAll(async () => {
  sidecar = await startTestSidecar({ profile: 'scoped_execution' });
  dir = mkdtempSync(join(tmpdir(), 'mw-hermes-'));
  keyFile = join(dir, 'agent.key');
  writeFileSync(keyFile, `${sidecar.agentKey}\n`, { mode: 0o600 });
  const catalog = await fetchCatalog(
    createAgentClient({ socketPath: sidecar.agentSocket, agentKey: sidecar.agentKey }),
  );
  if (!catalog.ok) throw new Error(catalog.message);
  const effects = new Map(catalog.value.actions.map((a) => [a.action, a.effect]));
  visible = TOOL_DEFINITIONS.filter((t) => t.kind === 'status' || effects.get(t.action) !== 'deny').map((t) => t.name);
});

afterAll(async () => {
  await sidecar?.stop();
  if (sidecar) removeSetup(sidecar);
  rmSync(dir, { recursive: true, force: true });
});

describe('Hermes plugin', () => {
  it('registers the tools the policy allows, reads mail, and refuses redirecting parameters', async () => {
    const out = await hermes(
      [
        { tool: 'mail_search', args: { query: 'in:inbox', max: 3 }, kwargs: { task_id: 'task-1' } },
        { tool: 'mail_search', args: { query: 'x', socketPath: '/tmp/evil.sock' } },
        { tool: 'mail_search', args: { query: 'x', url: 'http://evil.example' } },
        { tool: 'mail_search', args: { query: 'x', key: 'attacker' } },
        { tool: 'mail_search', args: null },
        { tool: 'mail_search', args: ['not', 'an', 'object'] },
        { tool: 'mail_search', args: { query: 42 } },
        { tool: 'mail_proposal_status', args: { proposalId: '../v1/catalog' } },
      ],
      configured(),
    );
    expect(out.registered.sort()).toEqual([...visible].sort());
    expect(out.registered).not.toContain('mail_send');
    expect(out.toolsets).toEqual(['mailwarden']);
    expect(out.schemas_named).toBe(true);
    expect(out.available).toEqual([true]);
    expect(out.modules).toEqual([]);
    const [search, ...refused] = out.results;
    expect(search?.type).toBe('str');
    expect(search?.value).toMatchObject({ status: 'executed' });
    expect((valueAt(out, 0).result as { threads: unknown[] }).threads.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.type).toBe('str');
      expect(r.value).toMatchObject({ status: 'invalid_params' });
      expect(typeof r.value.error).toBe('string');
    }
    expect(refused[0]?.value.error).toContain('socketPath');
    expect(refused[1]?.value.error).toContain('url');
    expect(refused[2]?.value.error).toContain('key');
  });

  it('waits for approval and returns the result after the owner approved', async () => {
    const first = await hermes([{ tool: 'mail_search', args: { query: 'in:inbox' } }], configured());
    const threadId = (valueAt(first, 0).result as { threads: Array<{ threadId: string }> }).threads[0]?.threadId;
    const second = await hermes([{ tool: 'mail_thread_get', args: { threadId } }], configured());
    const messageId = (valueAt(second, 0).result as { thread: { messages: Array<{ id: string }> } }).thread.messages[0]
      ?.id;
    const proposed = await hermes(
      [{ tool: 'mail_mark_read', args: { messageIds: [messageId], justification: 'triage' } }],
      configured(),
    );
    const pending = proposed.results[0]?.value;
    expect(pending).toMatchObject({ status: 'pending_approval' });
    const id = pending?.proposalId as string;
    expect(pending?.message).toContain(
      `Waiting for the owner's approval (proposal ${id}). Check later with mail_proposal_status.`,
    );

    const approved = await mailwarden([
      'approve',
      id,
      '--config',
      sidecar.configPath,
      '--key',
      sidecar.approverKey,
      '--yes',
    ]);
    expect(approved.code).toBe(0);
    const done = await hermes(
      [{ tool: 'mail_proposal_status', args: { proposalId: id, waitSeconds: 10 } }],
      configured(),
    );
    expect(done.results[0]?.value).toMatchObject({ status: 'executed', proposalId: id });
  });

  it('with hiding off, offers denied tools and explains the denial', async () => {
    const out = await hermes(
      [{ tool: 'mail_send', args: { to: ['someone@example.com'], subject: 'Hi', body: 'Hello' } }],
      { ...configured(), MAILWARDEN_HIDE_DENIED: '0' },
    );
    expect(out.registered).toHaveLength(TOOL_DEFINITIONS.length);
    const denied = valueAt(out, 0);
    expect(denied).toMatchObject({ status: 'denied' });
    expect(String(denied.error)).toContain("Denied by the mailbox owner's policy");
    expect((denied.rules as string[]).length).toBeGreaterThan(0);
  });

  it.each([
    ['executed with HTTP 202', 202, 'executed'],
    ['executed with HTTP 500', 500, 'executed'],
    ['pending with HTTP 403', 403, 'pending_approval'],
    ['an unknown status', 200, 'done'],
  ])('never reads an inconsistent answer as success: %s', async (_name, http, status) => {
    const proposal = {
      proposal: {
        id: 'p1',
        hash: 'sha256:00',
        action: 'gmail.send',
        status,
        decision: { effect: 'allow', rules: [], message: '' },
        createdAt: '2026-11-22T10:00:00Z',
        correlationId: 'c1',
        result: { sent: true },
      },
    };
    const script = `import json, sys; sys.path.insert(0, sys.argv[1]); import mailwarden as m; print(json.dumps(m.format_result(int(sys.argv[2]), json.loads(sys.argv[3]))))`;
    const { stdout } = await run('python3', [
      '-B',
      '-I',
      '-S',
      '-c',
      script,
      join(REPO_ROOT, 'plugin/hermes'),
      String(http),
      JSON.stringify(proposal),
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'invalid_answer' });
    expect(JSON.parse(stdout).error).toContain('do not assume it succeeded');
  });

  it('reads an answer the sidecar sent before the whole request arrived', async () => {
    // A server that answers from the headers alone and closes without reading a large body: the body's write
    // fails (EPIPE or reset), but the 401 is already in the plugin's receive queue and is what it reports.
    const script = `
import json, os, socket, sys, tempfile, threading
sys.path.insert(0, sys.argv[1])
import mailwarden as m
path = os.path.join(tempfile.mkdtemp(), "s.sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
def serve():
    conn, _ = srv.accept()
    data = b""
    while b"\\r\\n\\r\\n" not in data:
        data += conn.recv(65536)
    body = b'{"error":{"code":"UNAUTHENTICATED","message":"wrong key","correlationId":"c"}}'
    conn.sendall(b"HTTP/1.1 401 Unauthorized\\r\\nContent-Type: application/json\\r\\nConnection: close\\r\\n"
                 + b"Content-Length: " + str(len(body)).encode() + b"\\r\\n\\r\\n" + body)
    conn.close()
threading.Thread(target=serve, daemon=True).start()
config = {"socket": path, "key": "mwa_not-the-key"}
try:
    status, answer = m._send(config, config["key"], "POST", "/v1/proposals", {"params": {"body": "x" * 4000000}}, 10)
    print(json.dumps({"status": status, "answer": answer}))
except m._Failure as failure:
    print(json.dumps({"failure": failure.kind, "message": str(failure)}))
`;
    const { stdout } = await run('python3', ['-B', '-I', '-S', '-c', script, join(REPO_ROOT, 'plugin/hermes')]);
    expect(JSON.parse(stdout)).toMatchObject({ status: 401, answer: { error: { code: 'UNAUTHENTICATED' } } });
  });

  it('fails closed without configuration, with a wrong key, and without a sidecar', async () => {
    const unconfigured = await hermes([{ tool: 'mail_labels_list', args: {} }], {});
    expect(unconfigured.registered).toHaveLength(TOOL_DEFINITIONS.length);
    expect(unconfigured.available).toEqual([false]);
    expect(unconfigured.results[0]?.value).toMatchObject({ status: 'not_configured' });

    const wrongKey = await hermes([{ tool: 'mail_labels_list', args: {} }], {
      MAILWARDEN_SOCKET: sidecar.agentSocket,
      MAILWARDEN_AGENT_KEY: 'mwa_not-the-key',
    });
    expect(wrongKey.results[0]?.value).toMatchObject({ status: 'rejected_request', httpStatus: 401 });

    const gone = await hermes([{ tool: 'mail_labels_list', args: {} }], {
      MAILWARDEN_SOCKET: join(dir, 'nothing.sock'),
      MAILWARDEN_AGENT_KEY_FILE: keyFile,
    });
    expect(gone.registered).toHaveLength(TOOL_DEFINITIONS.length);
    expect(gone.results[0]?.value).toMatchObject({ status: 'unreachable' });
    expect(String(gone.results[0]?.value.error)).toContain('mailwarden is not available');
  });
});
