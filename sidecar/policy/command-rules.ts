// gog safety-profile semantics on action paths: deny wins, parent prefix match, default deny once any allow exists.
import { MailwardenError } from '../errors.ts';

export interface CommandRule {
  readonly path: string;
  readonly allow: boolean;
}

export interface CommandRules {
  readonly rules: readonly CommandRule[];
  readonly allowAll: boolean;
  readonly hasAllow: boolean;
}

export type CommandVerdict = { blocked: false; rule: string | null } | { blocked: true; rule: string };

export class CommandRulesError extends MailwardenError<'POLICY_COMMANDS_INVALID'> {
  override readonly name = 'CommandRulesError';
}

export type CommandTree = { [key: string]: boolean | CommandTree };

/** Flatten a YAML map mirroring command paths into rules; keys are lower-cased as gog does. */
export function compileCommandTree(tree: CommandTree): CommandRules {
  const rules: CommandRule[] = [];
  let allowAll = false;
  const walk = (node: CommandTree, prefix: string[]) => {
    for (const [rawKey, value] of Object.entries(node)) {
      const key = rawKey.toLowerCase();
      if (key === 'all' || key === '*') {
        if (value !== true) {
          throw new CommandRulesError(
            'POLICY_COMMANDS_INVALID',
            `commands.${[...prefix, rawKey].join('.')}: wildcards may only allow (true); list the paths to block instead`,
          );
        }
        if (prefix.length === 0) allowAll = true;
        else rules.push({ path: prefix.join('.'), allow: true });
        continue;
      }
      const path = [...prefix, key];
      if (typeof value === 'boolean') rules.push({ path: path.join('.'), allow: value });
      else walk(value, path);
    }
  };
  walk(tree, []);
  if (rules.length === 0 && !allowAll) {
    throw new CommandRulesError(
      'POLICY_COMMANDS_INVALID',
      'commands: an empty command profile is refused; allow at least one path or remove the section',
    );
  }
  return { rules, allowAll, hasAllow: allowAll || rules.some((r) => r.allow) };
}

function covers(rulePath: string, action: string): boolean {
  return action === rulePath || action.startsWith(`${rulePath}.`);
}

export function checkCommand(rules: CommandRules, action: string): CommandVerdict {
  const path = action.toLowerCase();
  let allowedBy: string | null = null;
  for (const rule of rules.rules) {
    if (!covers(rule.path, path)) continue;
    // INVARIANT: deny wins regardless of order or specificity, as in gog's baked profiles.
    if (!rule.allow) return { blocked: true, rule: `commands.${rule.path}` };
    allowedBy ??= `commands.${rule.path}`;
  }
  if (allowedBy !== null) return { blocked: false, rule: allowedBy };
  if (rules.allowAll) return { blocked: false, rule: 'commands.all' };
  if (rules.hasAllow) return { blocked: true, rule: 'commands.default_deny' };
  return { blocked: false, rule: null };
}
