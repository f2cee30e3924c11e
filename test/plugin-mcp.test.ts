// The MCP stdio server, driven by the SDK's own client over stdio, against a real sidecar.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient, fetchCatalog } from '../plugin/client/index.ts';
import { TOOL_DEFINITIONS } from '../plugin/tools/index.ts';
import type { TestSidecar } from './support/sidecar.ts';
import { mailwarden, REPO_ROOT, readOutbox, removeSetup, startTestSidecar } from './support/sidecar.ts';

let sidecar: TestSidecar;
let keyDir: string;
let keyFile: string;
let visible: string[];
let shared: Connected;
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
    expect(readOutbox(sidecar.gogHome).some((e) => e.command.includes('archive') || e.argv.includes(messageId))).toBe(
      true,
    );
  });

  it('with --show-denied, offers denied tools and explains the denial with rule ids', async () => {
    const { client } = await connect(['--socket', sidecar.agentSocket, '--key-file', keyFile, '--show-denied']);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(TOOL_DEFINITIONS.length);
    const result = await client.callTool({
      name: 'mail_send',
      arguments: { to: ['someone@example.com'], subject: 'Hi', body: 'Hello' },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Denied by the mailbox owner's policy: .+\(policy rules: .+\)/);
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
