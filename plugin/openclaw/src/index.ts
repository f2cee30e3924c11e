// OpenClaw entry: registers one tool per mailwarden action; holds only the socket path and the agent key.
// definePluginEntry comes from the host at runtime (the bundle leaves openclaw/* external; OpenClaw resolves
// its own plugin SDK for the plugins it loads).
import { definePluginEntry } from 'openclaw/plugin-sdk/plugin-entry';

import type { AgentClient } from '../../client/index.ts';
import { createAgentClient, resolveAgentKey } from '../../client/index.ts';
import type { CatalogState } from '../../tools/index.ts';
import { createToolRunner, loadCatalogState, selectVisibleTools, TOOL_DEFINITIONS } from '../../tools/index.ts';
import { configJsonSchema, OpenClawConfigSchema, parseConfigForHost } from './config.ts';
import { createOpenClawTool } from './create-tools.ts';
import type { HostPluginApi } from './host-types.ts';
import { PLUGIN_DESCRIPTION, PLUGIN_ID, PLUGIN_NAME } from './identity.ts';

interface Setup {
  readonly client: AgentClient | undefined;
  readonly problem?: string;
  readonly hideDenied: boolean;
}

function setUp(rawConfig: unknown): Setup {
  const parsed = OpenClawConfigSchema.safeParse(rawConfig ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ');
    return { client: undefined, problem: `invalid plugins.entries.mailwarden.config: ${issues}`, hideDenied: true };
  }
  const config = parsed.data;
  const key = resolveAgentKey({ agentKey: config.agentKey, agentKeyFile: config.agentKeyFile });
  if (!key.ok) return { client: undefined, problem: key.message, hideDenied: config.hideDenied ?? true };
  try {
    const client = createAgentClient({
      socketPath: config.socketPath,
      agentKey: key.agentKey,
      ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    });
    return { client, hideDenied: config.hideDenied ?? true };
  } catch (err) {
    return { client: undefined, problem: (err as Error).message, hideDenied: config.hideDenied ?? true };
  }
}

export default definePluginEntry({
  id: PLUGIN_ID,
  name: PLUGIN_NAME,
  description: PLUGIN_DESCRIPTION,
  configSchema: {
    safeParse: parseConfigForHost,
    jsonSchema: configJsonSchema(),
  },
  register(api: HostPluginApi): void {
    const setup = setUp(api.pluginConfig);
    if (setup.problem) api.logger?.warn(`mailwarden: ${setup.problem}; every mailwarden tool will fail closed`);
    const runner = createToolRunner({
      client: setup.client,
      runtime: 'openclaw',
      ...(setup.problem ? { configError: setup.problem } : {}),
    });

    // register() is synchronous, so the catalogue is fetched in the background and applied whenever the
    // host assembles tools for a run; until it arrives (or if it never does) every tool is offered and
    // calls fail closed at the sidecar.
    let catalog: CatalogState = { state: 'unavailable', reason: 'not loaded yet' };
    const ready = loadCatalogState(setup.client).then((state) => {
      catalog = state;
      if (state.state === 'unavailable' && setup.client) {
        api.logger?.warn(`mailwarden: catalogue unavailable (${state.reason}); offering every tool`);
      }
    });
    void ready;

    for (const tool of TOOL_DEFINITIONS) {
      api.registerTool(
        (ctx) => {
          const visible = selectVisibleTools(catalog, setup.hideDenied);
          return visible.includes(tool) ? createOpenClawTool(tool, runner, ctx) : null;
        },
        { name: tool.name },
      );
    }
  },
});
