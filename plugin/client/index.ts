// The plugin's only way out of the agent process: the sidecar's agent socket.
export type { AgentClient, AgentClientOptions, ClientFailure, RawResponse, RequestOptions } from './agent-client.ts';
export { createAgentClient, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS } from './agent-client.ts';
export type { KeyResult, KeySource } from './key-source.ts';
export { resolveAgentKey } from './key-source.ts';
export type { Parsed } from './sidecar-api.ts';
export { fetchCatalog, fetchHealth, getProposal, submitProposal } from './sidecar-api.ts';
