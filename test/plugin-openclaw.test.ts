// The built OpenClaw entry (dist/index.js) registered into a stand-in host API, against a real sidecar.
// The same bundle inside a real OpenClaw gateway is exercised by scripts/openclaw-e2e.sh.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient, fetchCatalog } from '../plugin/client/index.ts';
import { buildOpenClawPlugin } from '../plugin/openclaw/build.ts';
import type { HostPluginApi, HostTool, HostToolFactory } from '../plugin/openclaw/src/host-types.ts';
import { TOOL_DEFINITIONS, TOOL_NAMES } from '../plugin/tools/index.ts';
import type { TestSidecar } from './support/sidecar.ts';
import { removeSetup, startTestSidecar } from './support/sidecar.ts';

interface Entry {
  id: string;
  configSchema: { safeParse(v: unknown): { success: boolean }; jsonSchema: unknown };
  register(api: HostPluginApi): void;
}

let sidecar: TestSidecar;
let dir: string;
let keyFile: string;
let bundle: string;
let entry: Entry;
let denied: Set<string>;

function host(pluginConfig: unknown) {
  const factories: Array<{ name: string | undefined; factory: HostToolFactory }> = [];
  const warnings: string[] = [];
  const api: HostPluginApi = {
    pluginConfig,
    logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    registerTool(tool, opts) {
      if (typeof tool !== 'function') throw new Error('expected a factory');
      factories.push({ name: opts?.name, factory: tool });
    },
  };
  entry.register(api);
  const assemble = (): HostTool[] =>
    factories.flatMap(({ factory }) => {
      const t = factory({ sessionKey: 'agent:main:main' });
      return t ? [t] : [];
    });
  return { factories, warnings, assemble };
}

async function until<T>(probe: () => T | undefined, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The bundle imports definePluginEntry from the host (openclaw/plugin-sdk/plugin-entry), which OpenClaw links
 * into an installed plugin. Here the installed layout is rebuilt with a stand-in SDK module that does what the
 * real helper does with a tool plugin's entry; the real one is exercised by scripts/openclaw-e2e.sh.
 */
function installWithStandInSdk(built: string, into: string): string {
  const pkg = join(into, 'plugin');
  const sdk = join(pkg, 'node_modules', 'openclaw');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  mkdirSync(sdk, { recursive: true });
  copyFileSync(built, join(pkg, 'dist', 'index.js'));
  writeFileSync(join(pkg, 'package.json'), '{"type":"module"}\n');
  writeFileSync(
    join(sdk, 'package.json'),
    JSON.stringify({ name: 'openclaw', type: 'module', exports: { './plugin-sdk/plugin-entry': './plugin-entry.js' } }),
  );
  writeFileSync(
    join(sdk, 'plugin-entry.js'),
    'export function definePluginEntry({ id, name, description, configSchema, register }) {\n' +
      '  return { id, name, description, get configSchema() { return configSchema; }, register };\n}\n',
  );
  return join(pkg, 'dist', 'index.js');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-openclaw-'));
  bundle = installWithStandInSdk(await buildOpenClawPlugin(), dir);
  entry = (await import(pathToFileURL(bundle).href)).default as Entry;
  sidecar = await startTestSidecar({ profile: 'draft_assist' });
  keyFile = join(dir, 'agent.key');
  writeFileSync(keyFile, sidecar.agentKey, { mode: 0o600 });
  const catalog = await fetchCatalog(
    createAgentClient({ socketPath: sidecar.agentSocket, agentKey: sidecar.agentKey }),
  );
  if (!catalog.ok) throw new Error(catalog.message);
  denied = new Set(catalog.value.actions.filter((a) => a.effect === 'deny').map((a) => a.action));
});

afterAll(async () => {
  await sidecar?.stop();
  if (sidecar) removeSetup(sidecar);
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenClaw plugin bundle', () => {
  it('is built by the SDK entry helper, the only thing it takes from the host at run time', () => {
    expect(entry.id).toBe('mailwarden');
    const code = readFileSync(bundle, 'utf8');
    const fromHost = [...code.matchAll(/(?:from\s*|require\(|import\()["'](openclaw[^"']*)["']/g)].map((m) => m[1]);
    expect(fromHost).toEqual(['openclaw/plugin-sdk/plugin-entry']);
    expect(code).toMatch(/definePluginEntry\(/);
    expect(entry.configSchema.safeParse({ socketPath: '/run/a.sock', agentKeyFile: '/k' }).success).toBe(true);
    expect(entry.configSchema.safeParse({ socketPath: '/run/a.sock', url: 'http://x' }).success).toBe(false);
  });

  it('registers a factory per tool and hides denied tools once the catalogue is read', async () => {
    const h = host({ socketPath: sidecar.agentSocket, agentKeyFile: keyFile });
    expect(h.factories.map((f) => f.name)).toEqual(TOOL_NAMES);
    const expected = TOOL_DEFINITIONS.filter((t) => t.kind === 'status' || !denied.has(t.action)).map((t) => t.name);
    const names = await until(() => {
      const n = h.assemble().map((t) => t.name);
      return n.length === expected.length ? n : undefined;
    });
    expect(names).toEqual(expected);
    expect(names).not.toContain('mail_send');
    expect(h.warnings).toEqual([]);
  });

  it('executes a read through the sidecar and keeps its details under its own key', async () => {
    const h = host({ socketPath: sidecar.agentSocket, agentKeyFile: keyFile });
    const search = h.assemble().find((t) => t.name === 'mail_search')!;
    expect(search.parameters).toMatchObject({ additionalProperties: false });
    const result = await search.execute('call-1', { query: 'in:inbox', max: 2 });
    expect(JSON.parse(result.content[0]!.text)).toMatchObject({ status: 'executed' });
    expect(Object.keys(result.details)).toEqual(['mailwarden']);
    expect(result.details.mailwarden).toMatchObject({ outcome: 'executed', isError: false });
  });

  it('creates a draft, and refuses a parameter that would redirect it', async () => {
    const h = host({ socketPath: sidecar.agentSocket, agentKeyFile: keyFile });
    const draft = h.assemble().find((t) => t.name === 'mail_draft_create')!;
    const ok = await draft.execute('call-2', { to: ['friend@example.com'], subject: 'Hi', body: 'Draft body' });
    expect(ok.details.mailwarden).toMatchObject({ outcome: 'executed' });
    const evil = await draft.execute('call-3', {
      to: ['friend@example.com'],
      subject: 'Hi',
      body: 'x',
      socketPath: '/tmp/evil.sock',
    });
    expect(evil.details.mailwarden).toMatchObject({ outcome: 'invalid_params', isError: true });
  });

  it.each([
    ['no configuration', undefined, 'socketPath'],
    ['a relative socket path', { socketPath: 'agent.sock', agentKey: 'k' }, 'absolute'],
    ['no key', { socketPath: '/run/mailwarden/agent.sock' }, 'no agent key'],
    ['a missing key file', { socketPath: '/run/mailwarden/agent.sock', agentKeyFile: '/nonexistent/key' }, 'key file'],
  ])('fails closed with %s', async (_name, config, warning) => {
    const h = host(config);
    expect(h.warnings.join('\n')).toContain(warning);
    const tools = h.assemble();
    expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    const result = await tools[0]!.execute('call-4', { query: 'x' });
    expect(result.details.mailwarden).toMatchObject({ outcome: 'not_configured', isError: true });
  });
});
