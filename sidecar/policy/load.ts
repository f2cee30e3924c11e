// Loads a policy file strictly and compiles it for evaluation.
import { canonicalDigest } from '../../shared/index.ts';
import { formatProblems, loadYamlFile, type SourceProblem } from '../config/index.ts';
import { MailwardenError } from '../errors.ts';
import { CommandRulesError, compileCommandTree } from './command-rules.ts';
import type { CompiledPolicy } from './evaluate.ts';
import { PolicySchema } from './schema.ts';

export class PolicyError extends MailwardenError<'POLICY_INVALID'> {
  override readonly name = 'PolicyError';
  readonly problems: readonly SourceProblem[];
  constructor(problems: readonly SourceProblem[]) {
    super('POLICY_INVALID', `invalid policy:\n${formatProblems(problems)}`);
    this.problems = problems;
  }
}

export function loadPolicy(file: string): CompiledPolicy {
  const result = loadYamlFile(file, PolicySchema);
  if (!result.ok) throw new PolicyError(result.problems);
  const policy = result.value;
  let commands = null;
  if (policy.commands) {
    try {
      commands = compileCommandTree(policy.commands);
    } catch (err) {
      if (err instanceof CommandRulesError) {
        throw new PolicyError([{ file, line: 0, column: 0, path: 'commands', message: err.message }]);
      }
      throw err;
    }
  }
  return { policy, digest: canonicalDigest(policy), file, commands };
}
