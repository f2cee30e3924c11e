// Typed calls on the agent socket: the answers are parsed with the shared wire schemas, never cast.
import type { CatalogResponse, Health, ProposalRequestWire } from '../../shared/wire.ts';
import { CatalogResponseSchema, HealthSchema } from '../../shared/wire.ts';
import type { AgentClient, ClientFailure, RawResponse } from './agent-client.ts';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function describeFailure(failure: ClientFailure): string {
  return failure.message;
}

function parseWith<T>(
  raw: RawResponse,
  what: string,
  parse: (body: unknown) => { success: true; data: T } | { success: false },
): Parsed<T> {
  if (!raw.ok) return { ok: false, message: describeFailure(raw.failure) };
  if (raw.httpStatus !== 200) return { ok: false, message: `${what} answered HTTP ${raw.httpStatus}` };
  const parsed = parse(raw.body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: `${what} answer is not valid` };
}

export async function fetchHealth(client: AgentClient, timeoutMs = 5_000): Promise<Parsed<Health>> {
  return parseWith(await client.request('GET', '/v1/health', { timeoutMs }), 'health', (b) =>
    HealthSchema.safeParse(b),
  );
}

export async function fetchCatalog(client: AgentClient, timeoutMs = 5_000): Promise<Parsed<CatalogResponse>> {
  return parseWith(await client.request('GET', '/v1/catalog', { timeoutMs }), 'catalog', (b) =>
    CatalogResponseSchema.safeParse(b),
  );
}

export function submitProposal(
  client: AgentClient,
  body: ProposalRequestWire,
  signal?: AbortSignal,
): Promise<RawResponse> {
  return client.request('POST', '/v1/proposals', signal ? { body, signal } : { body });
}

export function getProposal(
  client: AgentClient,
  proposalId: string,
  waitSeconds: number,
  signal?: AbortSignal,
): Promise<RawResponse> {
  const query = waitSeconds > 0 ? `?wait=${waitSeconds}` : '';
  const path = `/v1/proposals/${encodeURIComponent(proposalId)}${query}`;
  // The long poll must outlive the sidecar's own wait.
  const timeoutMs = (waitSeconds + 15) * 1000;
  return client.request('GET', path, signal ? { timeoutMs, signal } : { timeoutMs });
}
