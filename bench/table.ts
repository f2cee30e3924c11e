// The benchmark table: one row per measurement, the ratio that matters and the target beside it.

export interface Row {
  readonly measurement: string;
  /** Measured value, already formatted with its unit. */
  readonly measured: string;
  /** What it is compared with, formatted with its unit ('' when the target is absolute). */
  readonly baseline: string;
  /** The ratio the target is about (governed / baseline, or measured / target). */
  readonly ratio: number | null;
  readonly target: string;
  /** null when no target applies or it cannot be judged on this machine. */
  readonly met: boolean | null;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtMs(n: number): string {
  // Latencies from the load generator have a resolution of 1 ms; the other agent's beside a flood are timed
  // to the microsecond and shown to a hundredth of a millisecond.
  if (n === 0) return '< 1 ms';
  if (n < 10 && !Number.isInteger(n)) return `${n.toFixed(2)} ms`;
  return n >= 100 ? `${fmtInt(n)} ms` : `${n.toFixed(1)} ms`;
}

export function fmtRatio(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '-';
  if (r < 0.01) return `${r.toFixed(4)}×`;
  return `${r.toFixed(2)}×`;
}

/** A markdown table, so the same text reads in a terminal and pastes into docs/performance.md. */
export function renderTable(rows: readonly Row[]): string {
  const head = ['measurement', 'measured', 'baseline', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [
    r.measurement,
    r.measured,
    r.baseline,
    fmtRatio(r.ratio),
    r.target,
    r.met === null ? '-' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
