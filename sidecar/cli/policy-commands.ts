// `mailwarden policy check FILE` and `mailwarden policy explain FILE ACTION PARAMS_JSON`.
import { ActionParamSchemas, describeIssue, isActionName } from '../../shared/index.ts';
import { evaluatePolicy, loadPolicy, PolicyError } from '../policy/index.ts';
import { type CliIo, EXIT_CHECK_FAILED, EXIT_OK, parse, print, requireFile, UsageError } from './io.ts';

const POLICY_FIX = 'pass the path of a policy YAML file, e.g. policies/draft_assist.yaml';

export async function policyCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'check') return check(rest, io);
  if (sub === 'explain') return explain(rest, io);
  throw new UsageError('usage: mailwarden policy check FILE | mailwarden policy explain FILE ACTION PARAMS_JSON');
}

async function check(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, 1);
  const file = positionals[0];
  if (!file) throw new UsageError('usage: mailwarden policy check FILE');
  const json = values.json === true;
  requireFile(file, 'the policy file', POLICY_FIX);
  try {
    const compiled = loadPolicy(file);
    print(
      io,
      json,
      { ok: true, file, name: compiled.policy.name, digest: compiled.digest },
      () => `${file}: ok (policy ${compiled.policy.name}, ${compiled.digest})`,
    );
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    print(io, json, { ok: false, file, problems: err.problems }, () => err.message);
    return EXIT_CHECK_FAILED;
  }
}

async function explain(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { principal: { type: 'string', default: 'demo-agent' } }, 3);
  const [file, action, paramsJson] = positionals;
  if (!file || !action) throw new UsageError('usage: mailwarden policy explain FILE ACTION PARAMS_JSON');
  if (!isActionName(action)) throw new UsageError(`unknown action "${action}"; see docs/actions.md or GET /v1/catalog`);
  let params: unknown;
  try {
    params = JSON.parse(paramsJson ?? '{}');
  } catch {
    throw new UsageError('PARAMS_JSON is not valid JSON');
  }
  const checked = ActionParamSchemas[action].safeParse(params);
  if (!checked.success) {
    throw new UsageError(describeIssue(checked.error, { root: 'params' }).message);
  }
  requireFile(file, 'the policy file', POLICY_FIX);
  const compiled = loadPolicy(file);
  const outcome = evaluatePolicy(compiled, {
    action,
    principal: values.principal,
    lockdown: { global: null, principal: null },
  });
  if (!outcome.ok) {
    print(
      io,
      values.json === true,
      { ok: false, error: outcome.error },
      () => `the policy could not be evaluated: ${outcome.error}`,
    );
    return EXIT_CHECK_FAILED;
  }
  const d = outcome.decision;
  print(
    io,
    values.json === true,
    { action, effect: d.effect, rules: d.rules, message: d.message, policyDigest: d.policyDigest },
    () =>
      [
        `${action}: ${d.effect}`,
        `  rules:   ${d.rules.join(', ')}`,
        `  why:     ${d.message}`,
        `  policy:  ${compiled.policy.name} ${d.policyDigest}`,
      ].join('\n'),
  );
  return EXIT_OK;
}
