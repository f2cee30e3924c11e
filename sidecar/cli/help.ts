// Per-command help: `mailwarden CMD --help` (or `mailwarden help CMD`) prints usage, flags and an example.

export interface CommandHelp {
  /** One line each: the forms the command takes. */
  readonly usage: readonly string[];
  readonly summary: string;
  /** [flag as typed, what it does]. Flags every command takes (--json, --help) are added when printed. */
  readonly flags: readonly (readonly [string, string])[];
  readonly examples: readonly string[];
}

const CONFIG_FLAG = [
  '--config FILE',
  'the setup to use (default: $MAILWARDEN_CONFIG, then ./mailwarden.yaml; `mailwarden init` writes one)',
] as const;
const KEY_FLAG = [
  '--key FILE',
  "the approver's private key (default: $MAILWARDEN_APPROVER_KEY, then keys/approver.key beside the config)",
] as const;
const APPROVER_FLAG = [
  '--approver ID',
  'who signs (default: $MAILWARDEN_APPROVER, or the only configured approver)',
] as const;

export const COMMAND_HELP = {
  init: {
    usage: ['mailwarden init --dir DIR [--backend fake|gog] [--profile NAME]'],
    summary:
      'Writes a complete setup into DIR: config, policy, keys (mode 0600), state folders and the gog home. Never overwrites an existing setup.',
    flags: [
      ['--dir DIR', 'the folder to write the setup into (created with mode 0711; required)'],
      ['--backend fake|gog', 'fake: a demo mailbox, no Google account; gog: the real gog binary (default: fake)'],
      ['--profile NAME', 'observe_only, draft_assist, scoped_execution or full (default: draft_assist)'],
    ],
    examples: [
      'mailwarden init --dir ~/.mailwarden',
      'mailwarden init --dir /srv/mw --backend gog --profile observe_only',
    ],
  },
  serve: {
    usage: ['mailwarden serve [--config FILE]'],
    summary:
      'Runs the sidecar in the foreground: opens agent.sock and operator.sock and serves until SIGTERM or Ctrl-C, then drains and exits 0.',
    flags: [CONFIG_FLAG],
    examples: ['mailwarden serve --config ~/.mailwarden/mailwarden.yaml'],
  },
  list: {
    usage: ['mailwarden list [--status STATUS] [--config FILE]'],
    summary: 'Lists proposals, newest first, from the running sidecar (over operator.sock).',
    flags: [['--status STATUS', 'only proposals in this status, e.g. pending_approval, executed, denied'], CONFIG_FLAG],
    examples: ['mailwarden list --status pending_approval'],
  },
  show: {
    usage: ['mailwarden show ID [--config FILE]'],
    summary:
      'Shows one proposal as its approval card: action, recipients, body, the rules that asked, integrity and approvals.',
    flags: [CONFIG_FLAG],
    examples: ['mailwarden show 3f2b8c1e-7a4d-4e2a-9c61-5d0f8e7b2a10'],
  },
  approve: {
    usage: ['mailwarden approve ID [--key FILE] [--approver ID] [--yes] [--config FILE]'],
    summary:
      'Shows the card, asks for confirmation, then signs an approval with your key and sends it to the sidecar. Exit 1 when the proposal is not pending or fails its integrity check.',
    flags: [KEY_FLAG, APPROVER_FLAG, ['--yes, -y', 'do not ask; needed when there is no terminal'], CONFIG_FLAG],
    examples: ['mailwarden approve 3f2b8c1e-7a4d-4e2a-9c61-5d0f8e7b2a10'],
  },
  reject: {
    usage: ['mailwarden reject ID [--key FILE] [--approver ID] [--yes] [--config FILE]'],
    summary: 'Like approve, but signs a rejection: the proposal is never executed.',
    flags: [KEY_FLAG, APPROVER_FLAG, ['--yes, -y', 'do not ask; needed when there is no terminal'], CONFIG_FLAG],
    examples: ['mailwarden reject 3f2b8c1e-7a4d-4e2a-9c61-5d0f8e7b2a10 --yes'],
  },
  lockdown: {
    usage: [
      'mailwarden lockdown on|off [--reason TEXT] [--principal AGENT] [--key FILE] [--approver ID] [--config FILE]',
    ],
    summary:
      'Stops (on) or resumes (off) every action that writes, for all agents or one, with a signed statement. Reads keep working.',
    flags: [
      ['--reason TEXT', 'recorded in the evidence log'],
      ['--principal AGENT', 'only this agent (default: all agents)'],
      KEY_FLAG,
      APPROVER_FLAG,
      CONFIG_FLAG,
    ],
    examples: ['mailwarden lockdown on --reason "odd drafts overnight"', 'mailwarden lockdown off'],
  },
  posture: {
    usage: ['mailwarden posture [--config FILE]'],
    summary:
      'Asks the running sidecar how strongly it is enforced (users, file modes, gog, sandbox). Exit 0 only when hard enforcement is ready.',
    flags: [CONFIG_FLAG],
    examples: ['mailwarden posture --json'],
  },
  evidence: {
    usage: ['mailwarden evidence verify [--proposal ID] [--checkpoints DIR] [--config FILE]'],
    summary:
      'Verifies the evidence log: hash chain, signatures, checkpoints. Shows progress on a terminal (never with --json). Exit 0 intact, 1 tampered, 2 cannot verify.',
    flags: [
      ['--proposal ID', "also prints one proposal's records and checks them"],
      ['--checkpoints DIR', 'exported checkpoints to check against as well (repeatable)'],
      CONFIG_FLAG,
    ],
    examples: [
      'mailwarden evidence verify',
      'mailwarden evidence verify --proposal 3f2b8c1e-7a4d-4e2a-9c61-5d0f8e7b2a10 --json',
    ],
  },
  policy: {
    usage: ['mailwarden policy check FILE', 'mailwarden policy explain FILE ACTION PARAMS_JSON [--principal AGENT]'],
    summary:
      'check: validates a policy file and names the line and key of every problem (exit 1). explain: shows the decision for one action and the rules behind it.',
    flags: [['--principal AGENT', 'explain: the agent asking (default: demo-agent)']],
    examples: [
      'mailwarden policy check policies/draft_assist.yaml',
      `mailwarden policy explain policy.yaml gmail.send '{"to":["a@example.com"],"subject":"hi","body":"hello"}'`,
    ],
  },
  keygen: {
    usage: ['mailwarden keygen [--out DIR] [--name NAME]', 'mailwarden keygen --agent'],
    summary:
      "Makes an approver's Ed25519 key pair (NAME.key 0600, NAME.pub), or with --agent an agent key and the hash the config stores.",
    flags: [
      ['--out DIR', 'where the key pair is written (default: the current folder)'],
      ['--name NAME', 'file name of the pair (default: approver)'],
      ['--agent', 'an agent key instead: printed once, never written'],
    ],
    examples: ['mailwarden keygen --out ~/.config/mailwarden --name phone', 'mailwarden keygen --agent --json'],
  },
  console: {
    usage: ['mailwarden console [--listen HOST:PORT] [--config FILE]'],
    summary:
      'Serves the operator console (approve from a browser) and prints a one-time login link; `kill -USR2` prints a new one.',
    flags: [['--listen HOST:PORT', 'address to listen on (default: 127.0.0.1 on a free port)'], CONFIG_FLAG],
    examples: ['mailwarden console --listen 127.0.0.1:8470'],
  },
  approver: {
    usage: [
      "mailwarden approver add --id ID (--public-key FILE | --jwk '{...}') [--config FILE]",
      'mailwarden approver list',
    ],
    summary:
      "Enrols an approver's Ed25519 public key (a .pub file or the JWK the console shows) in the config, or lists the approvers.",
    flags: [
      ['--id ID', 'the new approver: 1-64 lower-case letters, digits and _.-'],
      ['--public-key FILE', 'a PEM public key, e.g. from `mailwarden keygen`'],
      ['--jwk JSON', "a browser's public key as JWK, in single quotes"],
      CONFIG_FLAG,
    ],
    examples: ['mailwarden approver add --id owner-phone --public-key phone.pub', 'mailwarden approver list --json'],
  },
} as const satisfies Record<string, CommandHelp>;

export type CommandName = keyof typeof COMMAND_HELP;

export function isCommandName(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMAND_HELP, name);
}

export function commandHelp(name: CommandName): string {
  const h: CommandHelp = COMMAND_HELP[name];
  const flags: (readonly [string, string])[] = [
    ...h.flags,
    ['--json', 'machine-readable output on stdout'],
    ['--help, -h', 'this help'],
  ];
  const width = Math.max(...flags.map(([f]) => f.length)) + 2;
  return [
    `usage: ${h.usage.join('\n       ')}`,
    '',
    h.summary,
    '',
    'flags:',
    ...flags.map(([f, text]) => `  ${f.padEnd(width)}${text}`),
    '',
    h.examples.length === 1 ? 'example:' : 'examples:',
    ...h.examples.map((e) => `  ${e}`),
  ].join('\n');
}
