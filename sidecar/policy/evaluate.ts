// Pure policy decisions: lockdown, the command gate, then rules with deny > approve > allow.
import { ACTION_CLASS, type ActionName, type Effect, SEND_ACTIONS } from '../../shared/index.ts';
import { assertNever } from '../errors.ts';
import { type CommandRules, checkCommand } from './command-rules.ts';
import type { Policy, Rule } from './schema.ts';

export interface CompiledPolicy {
  readonly policy: Policy;
  readonly digest: string;
  readonly file: string;
  readonly commands: CommandRules | null;
}

export interface Decision {
  readonly effect: Effect;
  /** Ids of the rules that produced this effect, most decisive first. */
  readonly rules: readonly string[];
  readonly message: string;
  readonly policyDigest: string;
}

export type EvaluationOutcome = { ok: true; decision: Decision } | { ok: false; error: string };

export interface LockdownState {
  readonly global: { reason: string } | null;
  readonly principal: { reason: string } | null;
}

export interface DecisionInput {
  readonly action: ActionName;
  readonly principal: string;
  readonly lockdown: LockdownState;
}

const SEVERITY: Record<Effect, number> = { allow: 0, approve: 1, deny: 2 };

export function stricter(a: Effect, b: Effect): Effect {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

function matches(rule: Rule, action: ActionName): boolean {
  const matchers = Array.isArray(rule.match) ? rule.match : [rule.match];
  return matchers.some((m) =>
    m.startsWith('class:') ? ACTION_CLASS[action] === m.slice(6) : action === m || action.startsWith(`${m}.`),
  );
}

export function evaluatePolicy(compiled: CompiledPolicy, input: DecisionInput): EvaluationOutcome {
  try {
    return { ok: true, decision: decide(compiled, input) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function decide(compiled: CompiledPolicy, input: DecisionInput): Decision {
  const { policy, digest } = compiled;
  const isRead = ACTION_CLASS[input.action] === 'read';
  const lock = input.lockdown.global ?? input.lockdown.principal;
  if (lock && !(isRead && policy.lockdown.allowReads)) {
    const scope = input.lockdown.global ? 'global' : 'principal';
    return {
      effect: 'deny',
      rules: [`lockdown.${scope}`],
      message: `mailwarden is in lockdown (${scope}): ${lock.reason}. An operator can lift it with \`mailwarden lockdown off\`.`,
      policyDigest: digest,
    };
  }
  if (compiled.commands) {
    const gate = checkCommand(compiled.commands, input.action);
    if (gate.blocked) {
      return {
        effect: 'deny',
        rules: [gate.rule],
        message: `policy "${policy.name}" does not allow ${input.action} (${gate.rule})`,
        policyDigest: digest,
      };
    }
  }
  const matched = policy.rules.filter((r) => matches(r, input.action));
  if (matched.length === 0) {
    return {
      effect: policy.default,
      rules: ['default'],
      message: `no rule of policy "${policy.name}" matches ${input.action}; the default is ${policy.default}`,
      policyDigest: digest,
    };
  }
  let effect: Effect = 'allow';
  for (const r of matched) effect = stricter(effect, r.effect);
  const decisive = matched.filter((r) => r.effect === effect);
  const first = decisive[0]!;
  return {
    effect,
    rules: decisive.map((r) => r.id),
    message: first.message ?? describe(effect, input.action, policy.name),
    policyDigest: digest,
  };
}

function describe(effect: Effect, action: ActionName, name: string): string {
  switch (effect) {
    case 'allow':
      return `policy "${name}" allows ${action}`;
    case 'approve':
      return `policy "${name}" requires the owner's approval for ${action}`;
    case 'deny':
      return `policy "${name}" denies ${action}`;
    default:
      return assertNever(effect, 'effect');
  }
}

/** True when the policy denies every action that sends mail, so gog itself can be told never to send. */
export function policyDeniesAllSends(compiled: CompiledPolicy): boolean {
  return [...SEND_ACTIONS].every((action) => {
    const outcome = evaluatePolicy(compiled, { action, principal: '*', lockdown: { global: null, principal: null } });
    return outcome.ok && outcome.decision.effect === 'deny';
  });
}
