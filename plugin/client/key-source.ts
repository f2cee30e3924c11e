// Where the plugin's agent key comes from: a value in the plugin's own configuration or a key file.
import { readFileSync, statSync } from 'node:fs';

export interface KeySource {
  readonly agentKey?: string | undefined;
  readonly agentKeyFile?: string | undefined;
}

export type KeyResult =
  | { readonly ok: true; readonly agentKey: string }
  | { readonly ok: false; readonly message: string };

const MAX_KEY_FILE_BYTES = 16 * 1024;

/**
 * Resolves the agent key from exactly one of `agentKey` and `agentKeyFile`.
 * SECURITY: only ever called with plugin configuration or environment, never with tool arguments.
 */
export function resolveAgentKey(source: KeySource): KeyResult {
  const { agentKey, agentKeyFile } = source;
  if (agentKey !== undefined && agentKeyFile !== undefined) {
    return { ok: false, message: 'set either agentKey or agentKeyFile, not both' };
  }
  if (agentKey !== undefined) {
    const key = agentKey.trim();
    return key.length > 0 ? { ok: true, agentKey: key } : { ok: false, message: 'agentKey is empty' };
  }
  if (agentKeyFile === undefined) {
    return { ok: false, message: 'no agent key configured: set agentKey or agentKeyFile (MAILWARDEN_AGENT_KEY_FILE)' };
  }
  try {
    const size = statSync(agentKeyFile).size;
    if (size > MAX_KEY_FILE_BYTES) {
      return { ok: false, message: `key file ${agentKeyFile} is larger than ${MAX_KEY_FILE_BYTES} bytes` };
    }
    const key = readFileSync(agentKeyFile, 'utf8').trim();
    if (key.length === 0) return { ok: false, message: `key file ${agentKeyFile} is empty` };
    return { ok: true, agentKey: key };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, message: `cannot read key file ${agentKeyFile} (${code}); check the path and its permissions` };
  }
}
