// Policy: file format, loading, and pure decisions.

export type { CommandRules, CommandTree, CommandVerdict } from './command-rules.ts';
export { CommandRulesError, checkCommand, compileCommandTree } from './command-rules.ts';
export type { Facts, Proposed, Verdict } from './decide.ts';
export { decide } from './decide.ts';
export type { CompiledPolicy, Decision, DecisionInput, EvaluationOutcome, LockdownState } from './evaluate.ts';
export { evaluatePolicy, policyDeniesAllSends, stricter } from './evaluate.ts';
export { loadPolicy, PolicyError } from './load.ts';
export type { Policy, Rule } from './schema.ts';
export { PolicySchema, RuleSchema } from './schema.ts';
