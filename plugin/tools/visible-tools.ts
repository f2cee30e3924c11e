// Which tools to offer the model: denied actions are hidden when the sidecar's catalogue is known.
import type { CatalogResponse, Effect } from '../../shared/wire.ts';
import type { AgentClient } from '../client/agent-client.ts';
import { fetchCatalog } from '../client/sidecar-api.ts';
import type { ToolDefinition } from './tool-definitions.ts';
import { TOOL_DEFINITIONS } from './tool-definitions.ts';

export type CatalogState =
  | { readonly state: 'loaded'; readonly effects: ReadonlyMap<string, Effect> }
  | { readonly state: 'unavailable'; readonly reason: string };

export function catalogState(catalog: CatalogResponse): CatalogState {
  return { state: 'loaded', effects: new Map(catalog.actions.map((a) => [a.action, a.effect])) };
}

/**
 * Hides a tool when the catalogue says its action is denied, or does not list it at all.
 * With no catalogue every tool stays: calls then fail closed at the sidecar.
 */
export function selectVisibleTools(state: CatalogState, hideDenied = true): readonly ToolDefinition[] {
  if (!hideDenied || state.state !== 'loaded') return TOOL_DEFINITIONS;
  return TOOL_DEFINITIONS.filter((tool) => {
    if (tool.kind === 'status') return true;
    const effect = state.effects.get(tool.action);
    return effect === 'allow' || effect === 'approve';
  });
}

export async function loadCatalogState(client: AgentClient | undefined, timeoutMs = 3_000): Promise<CatalogState> {
  if (!client) return { state: 'unavailable', reason: 'plugin not configured' };
  const result = await fetchCatalog(client, timeoutMs);
  return result.ok ? catalogState(result.value) : { state: 'unavailable', reason: result.message };
}
