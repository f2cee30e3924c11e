// Pure argv planning: one exact gog command line per catalogue action, built only from validated params.
import type { ActionName, ActionParams } from '../../shared/index.ts';
import { gogCommand } from './commands.ts';
import type { GogConfig, GogPlan } from './types.ts';

export { attachmentOutPath, GogPlanError } from './argv.ts';

/** The fixed global flags every gog call starts with. */
export function baseFlags(cfg: GogConfig): string[] {
  const flags = ['--json', '--no-input', '--account', cfg.account, '--home', cfg.home];
  if (cfg.noSend) flags.push('--gmail-no-send');
  return flags;
}

/** The fixed global flags of one action's call. */
export function globalFlags(action: ActionName, cfg: GogConfig): string[] {
  const command = gogCommand(action);
  const flags = baseFlags(cfg);
  if (cfg.wrapUntrusted && command.wrap) flags.push('--wrap-untrusted');
  if (command.force) flags.push('--force');
  return flags;
}

/**
 * The gog argv (binary excluded) and stdin for one action. Pure. Throws GogPlanError for the few values
 * gog cannot carry.
 */
export function planGogCall<A extends ActionName>(action: A, params: ActionParams<A>, cfg: GogConfig): GogPlan {
  const command = gogCommand(action);
  const parts = command.args(params, cfg);
  const argv = [
    ...globalFlags(action, cfg),
    ...(parts.path ?? command.paths[0]!),
    ...(parts.options ?? []),
    ...(parts.positionals === undefined || parts.positionals.length === 0 ? [] : ['--', ...parts.positionals]),
  ];
  return parts.stdin === undefined ? { argv } : { argv, stdin: parts.stdin };
}

/** gog's JSON for one action in the action's result shape (gmail.attachment: the file gog wrote). */
export function normaliseOutput<A extends ActionName>(action: A, params: ActionParams<A>, json: unknown) {
  return gogCommand(action).normalise(json, params);
}
