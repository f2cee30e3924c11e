// Renders a posture as the few lines an operator reads at startup and from `mailwarden posture`.
import type { Posture } from '../../shared/wire.ts';

const MARK: Record<Posture['checks'][number]['status'], string> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  unknown: '????',
};

const MODE_LINE: Record<Posture['mode'], string> = {
  hard_enforcement_ready: 'hard_enforcement_ready: the boundary holds as observed',
  advisory: 'advisory: at least one check failed, so the agent may be able to go around mailwarden',
  cannot_determine: 'cannot_determine: some required checks could not be observed',
};

export function summarisePosture(p: Posture): string {
  const counts = { pass: 0, warn: 0, fail: 0, unknown: 0 };
  for (const c of p.checks) counts[c.status] += 1;
  const lines = [
    `posture: ${MODE_LINE[p.mode]}`,
    `  ${counts.pass} pass, ${counts.warn} warn, ${counts.fail} fail, ${counts.unknown} unknown`,
  ];
  // Failures first: they are what the operator must act on.
  const order = ['fail', 'unknown', 'warn', 'pass'] as const;
  for (const status of order) {
    for (const c of p.checks.filter((x) => x.status === status)) {
      lines.push(`  ${MARK[c.status]} ${c.id}: ${c.summary}`);
      if (c.fix !== undefined && c.status !== 'pass') lines.push(`       fix: ${c.fix}`);
    }
  }
  return lines.join('\n');
}
