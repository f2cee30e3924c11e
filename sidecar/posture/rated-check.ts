// A posture check before it goes on the wire: whether it is required, and how results combine.
import type { PostureCheck } from '../../shared/wire.ts';

export type CheckStatus = PostureCheck['status'];

export interface RatedCheck extends PostureCheck {
  /** An `unknown` on a required check keeps the sidecar out of hard_enforcement_ready. */
  required: boolean;
}

/** One observation that contributes to a check. */
export interface Finding {
  status: Exclude<CheckStatus, 'pass'>;
  text: string;
  fix: string;
}

const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, unknown: 2, fail: 3 };

export function worst(a: CheckStatus, b: CheckStatus): CheckStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Builds a check from findings: the worst one decides status, summary and fix. */
export function fromFindings(id: string, required: boolean, findings: Finding[], passSummary: string): RatedCheck {
  if (findings.length === 0) return { id, required, status: 'pass', summary: passSummary };
  const sorted = [...findings].sort((x, y) => RANK[y.status] - RANK[x.status]);
  const first = sorted[0] as Finding;
  const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more)` : '';
  return { id, required, status: first.status, summary: `${first.text}${more}`, fix: first.fix };
}

/** Quotes a path for a shell command shown to the operator. */
export function sh(path: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
