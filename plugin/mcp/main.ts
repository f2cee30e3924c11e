// Entry of the MCP stdio server: `node --import tsx plugin/mcp/main.ts --socket PATH [--key-file FILE]`.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createAgentClient, resolveAgentKey } from '../client/index.ts';
import { createToolRunner, loadCatalogState, selectVisibleTools } from '../tools/index.ts';
import { createMailwardenMcpServer } from './server.ts';

const VERSION = '0.1.0';
const USAGE =
  'usage: mailwarden-mcp --socket PATH [--key-file FILE] [--show-denied]\n' +
  '  the agent key comes from --key-file, MAILWARDEN_AGENT_KEY_FILE or MAILWARDEN_AGENT_KEY;\n' +
  '  the socket from --socket or MAILWARDEN_SOCKET.';

// stdout is the protocol channel: everything human-readable goes to stderr.
function log(message: string): void {
  process.stderr.write(`mailwarden-mcp: ${message}\n`);
}

function usageError(message: string): never {
  log(message);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { socket?: string | undefined; 'key-file'?: string | undefined; 'show-denied'?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: {
        socket: { type: 'string' },
        'key-file': { type: 'string' },
        'show-denied': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usageError((err as Error).message);
  }
  const socketPath = values.socket ?? process.env.MAILWARDEN_SOCKET;
  if (!socketPath) usageError('no socket: pass --socket PATH or set MAILWARDEN_SOCKET');
  const keyFile = values['key-file'] ?? process.env.MAILWARDEN_AGENT_KEY_FILE;
  // An explicit key file wins over a key in the environment, so one stray variable cannot mix setups.
  const key = resolveAgentKey(keyFile ? { agentKeyFile: keyFile } : { agentKey: process.env.MAILWARDEN_AGENT_KEY });
  if (!key.ok) usageError(key.message);

  let client: ReturnType<typeof createAgentClient>;
  try {
    client = createAgentClient({ socketPath, agentKey: key.agentKey });
  } catch (err) {
    usageError((err as Error).message);
  }
  const sessionId = `mcp-${randomUUID()}`;
  const runner = createToolRunner({ client, runtime: 'mcp', fallbackSessionId: sessionId });
  const catalog = await loadCatalogState(client);
  if (catalog.state === 'unavailable') log(`catalogue unavailable (${catalog.reason}); offering every tool`);
  const tools = selectVisibleTools(catalog, !values['show-denied']);
  const server = createMailwardenMcpServer({ runner, tools, version: VERSION, sessionId });
  await server.connect(new StdioServerTransport());
  log(`serving ${tools.length} tools for ${socketPath}`);
}

main().catch((err: unknown) => {
  log(`fatal: ${(err as Error).message}`);
  process.exit(1);
});
