// Reads mailwarden.yaml and resolves every relative path against the config file's folder.
import { dirname, isAbsolute, resolve } from 'node:path';
import { MailwardenError } from '../errors.ts';
import { type Config, ConfigSchema } from './schema.ts';
import { formatProblems, loadYamlFile } from './yaml-source.ts';

export type ConfigErrorCode = 'CONFIG_INVALID';
export class ConfigError extends MailwardenError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
}

export interface LoadedConfig {
  readonly file: string;
  readonly config: Config;
}

export function loadConfig(file: string): LoadedConfig {
  const absolute = resolve(file);
  const result = loadYamlFile(absolute, ConfigSchema);
  if (!result.ok) {
    throw new ConfigError('CONFIG_INVALID', `invalid configuration:\n${formatProblems(result.problems)}`);
  }
  return { file: absolute, config: resolvePaths(result.value, dirname(absolute)) };
}

function resolvePaths(c: Config, base: string): Config {
  const r = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const ro = (p: string | undefined) => (p === undefined ? undefined : r(p));
  return {
    ...c,
    policy: r(c.policy),
    paths: { runtimeDir: r(c.paths.runtimeDir), stateDir: r(c.paths.stateDir), evidenceDir: r(c.paths.evidenceDir) },
    gog: {
      ...c.gog,
      binary: r(c.gog.binary),
      home: r(c.gog.home),
      ...(c.gog.keyringPasswordFile !== undefined ? { keyringPasswordFile: r(c.gog.keyringPasswordFile) } : {}),
    },
    approvals: {
      ...c.approvals,
      approvers: c.approvals.approvers.map((a) => ({
        id: a.id,
        ...(a.publicKey !== undefined ? { publicKey: r(a.publicKey) } : {}),
        ...(a.secret !== undefined ? { secret: r(a.secret) } : {}),
        ...(a.webauthn !== undefined ? { webauthn: r(a.webauthn) } : {}),
      })),
    },
    evidence: {
      ...c.evidence,
      signingKey: r(c.evidence.signingKey),
      publicKey: r(c.evidence.publicKey),
      blindingKey: r(c.evidence.blindingKey),
      ...(c.evidence.export
        ? {
            export: {
              ...(c.evidence.export.dir !== undefined ? { dir: r(c.evidence.export.dir) } : {}),
              ...(c.evidence.export.command !== undefined ? { command: c.evidence.export.command } : {}),
            },
          }
        : {}),
    },
    notify: {
      ...c.notify,
      sinks: c.notify.sinks.map((s) =>
        s.kind === 'webhook'
          ? { ...s, secretFile: r(s.secretFile) }
          : s.kind === 'ntfy' && s.tokenFile !== undefined
            ? { ...s, tokenFile: r(s.tokenFile) }
            : s,
      ),
    },
    tokens: { ...c.tokens, ...(c.tokens.signingKey !== undefined ? { signingKey: ro(c.tokens.signingKey)! } : {}) },
  };
}

/** Where commands look for the config when --config is not given. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MAILWARDEN_CONFIG && env.MAILWARDEN_CONFIG.length > 0 ? env.MAILWARDEN_CONFIG : './mailwarden.yaml';
}
