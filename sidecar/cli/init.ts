// `mailwarden init`: writes a complete, working setup with safe file modes into one folder.
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { generateApproverKeyPair } from '../approval/index.ts';
import { generateAgentKey, hashAgentKey } from '../auth/index.ts';
import { generateEvidenceKeys } from '../evidence/index.ts';
import { gogConfigFor, gogConfigPath } from '../exec/index.ts';
import { loadPolicy, policyDeniesAllSends } from '../policy/index.ts';
import { rebaseDemoMailbox } from './demo-mailbox.ts';
import { type CliIo, EXIT_OK, parse, print, UsageError } from './io.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROFILES = ['observe_only', 'draft_assist', 'scoped_execution', 'full'] as const;
const DEMO_ACCOUNT = 'owner@example.com';

export interface InitResult {
  readonly config: string;
  readonly agentSocket: string;
  readonly operatorSocket: string;
  readonly agentKey: string;
  readonly approverKey: string;
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

function findOnPath(names: readonly string[], env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export function initSetup(opts: {
  dir: string;
  backend: 'fake' | 'gog';
  profile: string;
  env: NodeJS.ProcessEnv;
}): InitResult & { notes: string[] } {
  const dir = resolve(opts.dir);
  const configFile = join(dir, 'mailwarden.yaml');
  if (existsSync(configFile)) {
    throw new UsageError(
      `${configFile} already exists; init never overwrites keys. Choose another --dir or remove the old setup`,
    );
  }
  const notes: string[] = [];
  const sub = (name: string, mode: number) => {
    const p = join(dir, name);
    mkdirSync(p, { recursive: true, mode });
    chmodSync(p, mode);
    return p;
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o711);
  const keys = sub('keys', 0o700);
  const runtimeDir = sub('run', 0o750);
  sub('state', 0o700);
  sub('evidence', 0o700);
  sub('checkpoints', 0o700);
  const gogHome = sub('gog-home', 0o700);

  const policyFile = join(dir, 'policy.yaml');
  copyFileSync(join(REPO_ROOT, 'policies', `${opts.profile}.yaml`), policyFile);
  chmodSync(policyFile, 0o600);
  const compiled = loadPolicy(policyFile);

  const agentKey = generateAgentKey();
  writeSecret(join(keys, 'agent.key'), `${agentKey}\n`);
  const approver = generateApproverKeyPair();
  writeSecret(join(keys, 'approver.key'), approver.privateKeyPem);
  writeFileSync(join(keys, 'approver.pub'), approver.publicKeyPem, { mode: 0o644 });
  const evidence = generateEvidenceKeys();
  writeSecret(join(keys, 'evidence.key'), evidence.privateKeyPem);
  writeFileSync(join(keys, 'evidence.pub'), evidence.publicKeyPem, { mode: 0o644 });
  writeSecret(join(keys, 'evidence-blinding.key'), `${randomBytes(32).toString('base64')}\n`);
  writeSecret(join(keys, 'token.key'), `${randomBytes(32).toString('base64')}\n`);

  let binary: string;
  let account = DEMO_ACCOUNT;
  if (opts.backend === 'fake') {
    binary = join(REPO_ROOT, 'fixtures', 'fake-gog', 'gog');
    const demo = JSON.parse(
      readFileSync(join(REPO_ROOT, 'fixtures', 'mailbox', 'demo-mailbox.json'), 'utf8'),
    ) as Record<string, unknown>;
    writeSecret(
      join(gogHome, 'fake-mailbox.json'),
      `${JSON.stringify(rebaseDemoMailbox(demo, new Date()), null, 2)}\n`,
    );
  } else {
    binary = findOnPath(['gog-agent-safe', 'gog'], opts.env) ?? '/usr/local/bin/gog';
    account = opts.env.MAILWARDEN_ACCOUNT ?? DEMO_ACCOUNT;
    notes.push(
      `gog backend: binary ${binary}; run \`gog --home ${gogHome} auth add ${account}\` as the service user, and set gog.account in the config`,
    );
  }
  // SECURITY: when the policy never sends, gog's own config says so too, so no flag can undo it.
  if (policyDeniesAllSends(compiled)) {
    mkdirSync(dirname(gogConfigPath(gogHome)), { recursive: true, mode: 0o700 });
    writeSecret(gogConfigPath(gogHome), `${JSON.stringify(gogConfigFor(true), null, 2)}\n`);
  }

  const config = {
    version: 1,
    policy: './policy.yaml',
    paths: { runtimeDir: './run', stateDir: './state', evidenceDir: './evidence' },
    sockets: { agentMode: '0660', operatorMode: '0600' },
    agents: [{ id: 'demo-agent', keyHash: hashAgentKey(agentKey) }],
    gog: { backend: opts.backend, binary, home: './gog-home', account },
    approvals: { mode: 'eddsa', approvers: [{ id: 'owner', publicKey: './keys/approver.pub' }] },
    evidence: {
      signingKey: './keys/evidence.key',
      publicKey: './keys/evidence.pub',
      blindingKey: './keys/evidence-blinding.key',
      export: { dir: './checkpoints' },
    },
    tokens: { signingKey: './keys/token.key' },
  };
  const header = `# mailwarden configuration, written by \`mailwarden init\` (profile ${opts.profile}, backend ${opts.backend}).\n# Every key is documented in docs/configuration.md.\n`;
  writeSecret(configFile, header + stringify(config));

  const agentSocket = join(runtimeDir, 'agent.sock');
  if (agentSocket.length > 100)
    notes.push(
      `socket paths are long (${agentSocket.length} bytes); unix sockets allow about 107, choose a shorter --dir if serve fails`,
    );
  return {
    config: configFile,
    agentSocket,
    operatorSocket: join(runtimeDir, 'operator.sock'),
    agentKey,
    approverKey: join(keys, 'approver.key'),
    notes,
  };
}

export async function initCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    dir: { type: 'string' },
    backend: { type: 'string', default: 'fake' },
    profile: { type: 'string', default: 'draft_assist' },
  });
  if (!values.dir) throw new UsageError('init needs --dir DIR (the folder to write the setup into)');
  if (values.backend !== 'fake' && values.backend !== 'gog') throw new UsageError('--backend must be fake or gog');
  if (!(PROFILES as readonly string[]).includes(values.profile)) {
    throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}`);
  }
  const r = initSetup({ dir: values.dir, backend: values.backend, profile: values.profile, env: io.env });
  const { notes, ...result } = r;
  print(io, values.json === true, result, () =>
    [
      `mailwarden setup written to ${dirname(r.config)} (profile ${values.profile}, backend ${values.backend})`,
      `  config:          ${r.config}`,
      `  agent socket:    ${r.agentSocket}`,
      `  operator socket: ${r.operatorSocket}`,
      `  agent key:       ${r.agentKey}   (give this to the agent's plugin; it is stored only as a hash)`,
      `  approver key:    ${r.approverKey}   (private; keep it with the person who approves)`,
      ...notes.map((n) => `  note: ${n}`),
      '',
      `Start it with: mailwarden serve --config ${r.config}`,
    ].join('\n'),
  );
  return EXIT_OK;
}
