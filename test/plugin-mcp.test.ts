// The MCP stdio server, driven by the SDK's own client over stdio, against a real sidecar.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient, fetchCatalog } from '../plugin/client/index.ts';
import { TOOL_DEFINITIONS } from '../plugin/tools/index.ts';
import { ACTIONS, isActionName } from '../shared/index.ts';
import type { TestSidecar } from './support/sidecar.ts';
import { mailwarden, REPO_ROOT, readOutbox, removeSetup, startTestSidecar } from './support/sidecar.ts';

let sidecar: TestSidecar;
let keyDir: string;
let keyFile: string;
let visible: string[];
let shared: Connected;
/** One server with --show-denied for the tests that only list tools or call a denied one (no state changes). */
let showDenied: Promise<Connected> | undefined;
const withDenied = () => {
  showDenied ??= connect(['--socket', sidecar.agentSocket, '--key-file', keyFile, '--show-denied']);
  return showDenied;
};
const clients: Client[] = [];

interface Connected {
  client: Client;
  stderr: () => string;
}

/** Starts the server as a client would; `fromElsewhere` uses the launcher from another working directory. */
async function connect(args: string[], env: Record<string, string> = {}, fromElsewhere = false): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: fromElsewhere
      ? [join(REPO_ROOT, 'plugin/mcp/mailwarden-mcp.mjs'), ...args]
      : ['--import', 'tsx', join(REPO_ROOT, 'plugin/mcp/main.ts'), ...args],
    cwd: fromElsewhere ? keyDir : REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: keyDir, ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const client = new Client({ name: 'mailwarden-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, stderr: () => stderr };
}

function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? '').join('\n');
}

beforeAll(async () => {
  sidecar = await startTestSidecar({ profile: 'scoped_execution' });
  keyDir = mkdtempSync(join(tmpdir(), 'mw-mcp-'));
  keyFile = join(keyDir, 'agent.key');
  writeFileSync(keyFile, `${sidecar.agentKey}\n`, { mode: 0o600 });
  const catalog = await fetchCatalog(
    createAgentClient({ socketPath: sidecar.agentSocket, agentKey: sidecar.agentKey }),
  );
  if (!catalog.ok) throw new Error(catalog.message);
  const effects = new Map(catalog.value.actions.map((a) => [a.action, a.effect]));
  visible = TOOL_DEFINITIONS.filter((t) => t.kind === 'status' || effects.get(t.action) !== 'deny').map((t) => t.name);
  shared = await connect(['--socket', sidecar.agentSocket, '--key-file', keyFile]);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sidecar?.stop();
  if (sidecar) removeSetup(sidecar);
  rmSync(keyDir, { recursive: true, force: true });
});

describe('MCP stdio server', () => {
  it('lists the tools the policy does not deny, with strict schemas', async () => {
    const { client, stderr } = shared;
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...visible].sort());
    // scoped_execution denies sending: the model never sees a send tool.
    expect(tools.map((t) => t.name)).not.toContain('mail_send');
    expect(tools.map((t) => t.name)).toContain('mail_archive');
    const search = tools.find((t) => t.name === 'mail_search');
    expect(search?.inputSchema).toMatchObject({ type: 'object', additionalProperties: false, required: ['query'] });
    expect(Object.keys(search?.inputSchema.properties ?? {})).not.toContain('socketPath');
    expect(search?.annotations).toMatchObject({ readOnlyHint: true });
    expect(stderr()).toContain(`serving ${visible.length} tools`);
  });

  it('runs an allowed read and returns the data', async () => {
    const { client } = shared;
    const result = await client.callTool({ name: 'mail_search', arguments: { query: 'in:inbox', max: 5 } });
    expect(result.isError).toBeFalsy();
    const body = JSON.parse(text(result));
    expect(body.status).toBe('executed');
    expect(body.result.threads.length).toBeGreaterThan(0);
    // The same answer as structure, whose result is the action's own result shape.
    const structured = result.structuredContent as { outcome: string; proposalId: string; result: unknown };
    expect(structured).toMatchObject({ outcome: 'executed', action: 'gmail.search', proposalId: body.proposalId });
    expect(structured.result).toEqual(body.result);
    expect(ACTIONS['gmail.search'].result.safeParse(structured.result).success).toBe(true);
  });

  it('answers every kind of read with structure the SDK client checks against the declared output', async () => {
    const { client } = shared;
    const search = await client.callTool({ name: 'mail_search', arguments: { query: 'in:inbox' } });
    const threadId = (search.structuredContent as { result: { threads: { threadId: string }[] } }).result.threads[0]!
      .threadId;
    const thread = await client.callTool({ name: 'mail_thread_get', arguments: { threadId } });
    const messageId = (thread.structuredContent as { result: { thread: { messages: { id: string }[] } } }).result.thread
      .messages[0]!.id;
    const events = await client.callTool({ name: 'calendar_events', arguments: {} });
    const reads = [
      thread,
      events,
      await client.callTool({ name: 'mail_get', arguments: { messageId } }),
      await client.callTool({ name: 'mail_labels_list', arguments: {} }),
      await client.callTool({ name: 'mail_drafts_list', arguments: {} }),
    ];
    for (const r of reads) {
      expect(r.isError, text(r)).toBeFalsy();
      const s = r.structuredContent as { outcome: string; action: string; result: unknown };
      expect(s.outcome).toBe('executed');
      expect(isActionName(s.action)).toBe(true);
      expect(ACTIONS[s.action as 'gmail.get'].result.safeParse(s.result).success, s.action).toBe(true);
    }
  });

  it("declares every tool's output: an envelope whose result is the action's result schema", async () => {
    const { client } = await withDenied();
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(TOOL_DEFINITIONS.length);
    for (const tool of tools) {
      const out = tool.outputSchema as { type: string; properties: Record<string, any>; required: string[] };
      expect(out, tool.name).toMatchObject({ type: 'object', required: ['outcome'] });
      expect(out.properties.outcome.enum).toEqual(expect.arrayContaining(['executed', 'pending_approval', 'denied']));
      const def = TOOL_DEFINITIONS.find((t) => t.name === tool.name)!;
      if (def.kind !== 'action') continue;
      const shape = (ACTIONS[def.action].result as unknown as { shape: Record<string, unknown> }).shape;
      // Reads may also carry the content filter's notices.
      const keys = [...Object.keys(shape), ...(def.actionClass === 'read' ? ['notices'] : [])];
      expect(Object.keys(out.properties.result.properties).sort(), tool.name).toEqual(keys.sort());
    }
  });

  it('tells the truth in annotations: reads are read-only, only deletes, trash and sends are destructive', async () => {
    const { client } = await withDenied();
    const { tools } = await client.listTools();
    const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations ?? {}]));
    const destructive = tools.filter((t) => t.annotations?.destructiveHint === true).map((t) => t.name);
    expect(destructive.sort()).toEqual(
      [
        'calendar_delete',
        'mail_draft_delete',
        'mail_draft_send',
        'mail_forward',
        'mail_reply',
        'mail_send',
        'mail_trash',
      ].sort(),
    );
    for (const tool of TOOL_DEFINITIONS) {
      const h = hints[tool.name]!;
      const action = tool.kind === 'action' ? ACTIONS[tool.action] : null;
      expect(h.readOnlyHint, tool.name).toBe(action === null || action.class === 'read');
      if (action) {
        expect(h.openWorldHint, tool.name).toBe(action.outsideContent || action.reaches !== 'none');
      }
    }
    // Additive changes are not destructive; reads of outside mail are open-world; the label list is not.
    expect(hints.mail_draft_create).toMatchObject({ destructiveHint: false, readOnlyHint: false });
    expect(hints.mail_mark_read).toMatchObject({ destructiveHint: false, openWorldHint: false });
    expect(hints.mail_get).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    expect(hints.mail_labels_list).toMatchObject({ readOnlyHint: true, openWorldHint: false });
  });

  it.each([
    ['socketPath', '/tmp/evil.sock'],
    ['url', 'http://127.0.0.1:1'],
    ['key', 'attacker-key'],
  ])('refuses a %s argument', async (name, value) => {
    const { client } = shared;
    const result = await client.callTool({ name: 'mail_search', arguments: { query: 'x', [name]: value } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain(name);
  });

  it('waits for approval, then returns the result once the owner approved', async () => {
    const { client } = await connect(['--socket', sidecar.agentSocket], { MAILWARDEN_AGENT_KEY: sidecar.agentKey });
    const search = JSON.parse(text(await client.callTool({ name: 'mail_search', arguments: { query: 'in:inbox' } })));
    const threadId = search.result.threads[0].threadId as string;
    const thread = JSON.parse(text(await client.callTool({ name: 'mail_thread_get', arguments: { threadId } })));
    const messageId = thread.result.thread.messages[0].id as string;

    const proposed = await client.callTool({
      name: 'mail_archive',
      arguments: { messageIds: [messageId], justification: 'inbox clean-up' },
    });
    expect(proposed.isError).toBeFalsy();
    const id = (proposed._meta as { mailwarden: { proposalId: string } }).mailwarden.proposalId;
    expect(proposed.structuredContent).toMatchObject({
      outcome: 'pending_approval',
      proposalId: id,
      action: 'gmail.archive',
      rules: expect.arrayContaining([expect.any(String)]),
    });
    expect(proposed.structuredContent).not.toHaveProperty('result');
    expect(text(proposed)).toContain(
      `Waiting for the owner's approval (proposal ${id}). Check later with mail_proposal_status.`,
    );
    expect(readOutbox(sidecar.gogHome).filter((e) => e.command.includes('archive'))).toEqual([]);

    const still = await client.callTool({ name: 'mail_proposal_status', arguments: { proposalId: id } });
    expect(text(still)).toContain('Waiting');

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
    const done = await client.callTool({
      name: 'mail_proposal_status',
      arguments: { proposalId: id, waitSeconds: 10 },
    });
    expect(done.isError).toBeFalsy();
    expect(JSON.parse(text(done))).toMatchObject({ status: 'executed', proposalId: id });
    expect(done.structuredContent).toMatchObject({ outcome: 'executed', proposalId: id, action: 'gmail.archive' });
    expect(
      ACTIONS['gmail.archive'].result.safeParse((done.structuredContent as { result: unknown }).result).success,
    ).toBe(true);
    expect(readOutbox(sidecar.gogHome).some((e) => e.command.includes('archive') || e.argv.includes(messageId))).toBe(
      true,
    );
  });

  it('with --show-denied, offers denied tools and explains the denial with rule ids', async () => {
    const { client } = await withDenied();
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(TOOL_DEFINITIONS.length);
    const result = await client.callTool({
      name: 'mail_send',
      arguments: { to: ['someone@example.com'], subject: 'Hi', body: 'Hello' },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Denied by the mailbox owner's policy: .+\(policy rules: .+\)/);
    // The policy's own reason and rules, as data.
    const structured = result.structuredContent as { outcome: string; reason: string; rules: string[] };
    expect(structured.outcome).toBe('denied');
    expect(structured.rules.length).toBeGreaterThan(0);
    expect(text(result)).toContain(`policy: ${structured.reason} (policy rules: ${structured.rules.join(', ')})`);
  });

  it('says the key was refused when it is wrong', async () => {
    const { client } = await connect(
      ['--socket', sidecar.agentSocket],
      { MAILWARDEN_AGENT_KEY: 'mwa_not-the-key' },
      true,
    );
    const result = await client.callTool({ name: 'mail_labels_list', arguments: {} });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('HTTP 401');
  });

  it('offers every tool but fails closed when the sidecar is not there', async () => {
    const { client, stderr } = await connect(['--socket', join(keyDir, 'nothing.sock'), '--key-file', keyFile]);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(TOOL_DEFINITIONS.length);
    const result = await client.callTool({ name: 'mail_search', arguments: { query: 'x' } });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('mailwarden is not available');
    expect(stderr()).toContain('catalogue unavailable');
  });
});
