// In-process policy decisions: throughput and per-decision p99 over every shipped policy and action.
import { join } from 'node:path';
import { ACTION_NAMES } from '../shared/index.ts';
import { type CompiledPolicy, evaluatePolicy, type LockdownState, loadPolicy } from '../sidecar/policy/index.ts';
import { REPO_ROOT } from '../test/support/sidecar.ts';
import { quantile } from './stats.ts';

export interface PolicyBench {
  readonly decisions: number;
  readonly perSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

const POLICIES = ['observe_only', 'draft_assist', 'scoped_execution', 'full'] as const;
const OPEN: LockdownState = { global: null, principal: null };
const LOCKED: LockdownState = { global: null, principal: { reason: 'bench' } };

export function benchPolicy(budgetMs: number): PolicyBench {
  const compiled: CompiledPolicy[] = POLICIES.map((p) => loadPolicy(join(REPO_ROOT, 'policies', `${p}.yaml`)));
  const inputs = compiled.flatMap((policy) =>
    ACTION_NAMES.flatMap((action, i) => [
      { policy, input: { action, principal: `agent-${i % 10}`, lockdown: OPEN } },
      { policy, input: { action, principal: 'agent-locked', lockdown: LOCKED } },
    ]),
  );
  // Warm-up so the timed loop measures steady-state code, not the first compilation.
  for (let i = 0; i < 20_000; i++) {
    const x = inputs[i % inputs.length]!;
    evaluatePolicy(x.policy, x.input);
  }
  const samples: number[] = [];
  let failures = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(budgetMs) * 1_000_000n;
  let i = 0;
  for (;;) {
    const x = inputs[i % inputs.length]!;
    const t0 = process.hrtime.bigint();
    const out = evaluatePolicy(x.policy, x.input);
    const t1 = process.hrtime.bigint();
    if (!out.ok) failures++;
    samples.push(Number(t1 - t0) / 1000);
    i++;
    if ((i & 1023) === 0 && t1 > deadline) break;
  }
  if (failures > 0) throw new Error(`${failures} policy evaluations failed; run \`mailwarden policy check\``);
  // Throughput from an untimed loop, so clock reads do not count against the evaluator.
  const n = 200_000;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < n; k++) {
    const x = inputs[k % inputs.length]!;
    evaluatePolicy(x.policy, x.input);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    decisions: samples.length,
    perSecond: n / seconds,
    p50Us: quantile(samples, 0.5),
    p99Us: quantile(samples, 0.99),
  };
}
