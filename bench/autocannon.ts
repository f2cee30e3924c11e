// The slice of autocannon the benchmarks use, typed here because the package ships no types.
import { createRequire } from 'node:module';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string> | undefined;
  readonly body?: string | undefined;
}

export interface LoadOptions {
  readonly socketPath: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requests: readonly LoadRequest[];
}

export interface LoadResult {
  /** Completed requests per second (mean over the run). */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Responses by status class, e.g. { '2xx': 100, '4xx': 5 }. */
  readonly statusClasses: Record<string, number>;
}

interface RawResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

type Autocannon = (opts: Record<string, unknown>) => Promise<RawResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Drives a unix socket with `connections` keep-alive connections for a fixed time. */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  const raw = await autocannon({
    url: 'http://localhost',
    socketPath: opts.socketPath,
    connections: opts.connections,
    pipelining: 1,
    duration: opts.durationSeconds,
    requests: opts.requests.map((r) => ({
      method: r.method,
      path: r.path,
      headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...(r.headers ?? {}) },
      ...(r.body ? { body: r.body } : {}),
    })),
  });
  return {
    rps: raw.requests.average,
    p50Ms: raw.latency.p50,
    p99Ms: raw.latency.p99,
    total: raw.requests.total,
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    statusClasses: { '2xx': raw['2xx'], '4xx': raw['4xx'], '5xx': raw['5xx'] },
  };
}
