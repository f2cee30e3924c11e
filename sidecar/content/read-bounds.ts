// Read bounds: the search lookback clamp, the calendar window clamp and the result-count clamp.
import type { CalendarPolicy, ContentPolicy } from './policy-schema.ts';
import { parseInstant, startOfLocalDay, toZonedRfc3339 } from './time-zone.ts';

/** Gmail date operators; the sidecar owns the date range, so the query's own are removed. */
const DATE_OPERATOR = /(^|[\s(){}])-?(?:after|before|older|newer|older_than|newer_than)\s*:\s*(?:"[^"]*"|\S*)/giu;

const DAY_MS = 86_400_000;

function removeUnbalanced(query: string, open: string, close: string): string {
  let depth = 0;
  let balanced = true;
  for (const ch of query) {
    if (ch === open) depth++;
    else if (ch === close) {
      depth--;
      if (depth < 0) balanced = false;
    }
  }
  if (balanced && depth === 0) return query;
  return query.split(open).join(' ').split(close).join(' ');
}

/**
 * A query whose results can never be older than the lookback: the user's query is wrapped in parentheses
 * (so `OR`, `{}` groups and `-` negation stay inside) and ANDed with `after:YYYY/MM/DD`.
 * SECURITY: unbalanced quotes or brackets could swallow or escape the wrapper, so they are neutralised;
 * the query's own date operators are removed (they could only confuse, never widen, once ANDed).
 */
export function clampSearchQuery(query: string, lookbackDays: number, now: Date): string {
  const days = Math.max(1, Math.floor(lookbackDays));
  let q = query.replace(/[\r\n\t]+/g, ' ');
  q = q.replace(DATE_OPERATOR, '$1');
  if ((q.match(/"/g) ?? []).length % 2 === 1) q = q.replace(/"/g, ' ');
  q = removeUnbalanced(q, '(', ')');
  q = removeUnbalanced(q, '{', '}');
  q = q.replace(/\s+/g, ' ').trim();
  // Removing an operator can leave a dangling OR/AND or a lone "-" at either end.
  let prev = '';
  while (prev !== q) {
    prev = q;
    q = q
      .replace(/^(?:OR|AND|-)(?:\s+|$)/, '')
      .replace(/(?:^|\s+)(?:OR|AND|-)$/, '')
      .trim();
  }
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const y = cutoff.getUTCFullYear();
  const m = String(cutoff.getUTCMonth() + 1).padStart(2, '0');
  const d = String(cutoff.getUTCDate()).padStart(2, '0');
  const after = `after:${y}/${m}/${d}`;
  return q === '' ? after : `(${q}) ${after}`;
}

/** The oldest instant a search may reach (used to drop stray older results as a second line). */
export function lookbackCutoff(lookbackDays: number, now: Date): Date {
  return new Date(now.getTime() - Math.max(1, Math.floor(lookbackDays)) * DAY_MS);
}

export interface CalendarWindow {
  start: string;
  end: string;
  /** True when the request was narrowed. */
  clamped: boolean;
  /** True when nothing of the request lies inside the allowed window (start === end). */
  empty: boolean;
}

/** The allowed window: local midnight `pastDays` ago to the end of the day `futureDays` ahead. */
export function calendarBounds(policy: CalendarPolicy, now: Date): { from: Date; to: Date } {
  return {
    from: startOfLocalDay(now, -policy.pastDays, policy.timeZone),
    to: startOfLocalDay(now, policy.futureDays + 1, policy.timeZone),
  };
}

export function clampCalendarWindow(
  start: string | undefined,
  end: string | undefined,
  policy: CalendarPolicy,
  now: Date,
): CalendarWindow {
  const { from, to } = calendarBounds(policy, now);
  const tz = policy.timeZone;
  const reqStart = start === undefined ? undefined : parseInstant(start, tz);
  const reqEnd = end === undefined ? undefined : parseInstant(end, tz);
  let s = reqStart ?? from;
  let e = reqEnd ?? to;
  let clamped = (start !== undefined && reqStart === undefined) || (end !== undefined && reqEnd === undefined);
  if (s < from) {
    s = from;
    clamped = true;
  }
  if (e > to) {
    e = to;
    clamped = true;
  }
  let empty = false;
  if (s >= e) {
    // Nothing requested lies inside the window: an empty range at the window's edge.
    const edge = s >= to ? to : from;
    s = edge;
    e = edge;
    empty = true;
    clamped = true;
  }
  return { start: toZonedRfc3339(s, tz), end: toZonedRfc3339(e, tz), clamped, empty };
}

/** The number of results to ask for: the agent's `max`, never above the policy's `maxResults`. */
export function clampMax(max: number | undefined, policy: Pick<ContentPolicy, 'maxResults'>): number {
  if (max === undefined || !Number.isFinite(max) || max < 1) return policy.maxResults;
  return Math.min(Math.floor(max), policy.maxResults);
}
