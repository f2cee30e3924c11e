// Operator commands over operator.sock: list, show, approve, reject, lockdown, posture.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PostureSchema } from '../../shared/index.ts';
import { loadSigningKey, newNonce, signStatement } from '../approval/index.ts';
import type { LoadedConfig } from '../config/index.ts';
import { summarisePosture } from '../posture/index.ts';
import { CheckFailed, type CliIo, EXIT_CHECK_FAILED, EXIT_OK, loadCliConfig, parse, print, UsageError } from './io.ts';
import { callOperator, errorLine, OperatorClientError } from './operator-client.ts';

export const STATEMENT_LIFETIME_SECONDS = 300;

export function operatorSocket(loaded: LoadedConfig): string {
  return join(loaded.config.paths.runtimeDir, 'operator.sock');
}

async function get(loaded: LoadedConfig, path: string): Promise<unknown> {
  const r = await callOperator(operatorSocket(loaded), 'GET', path);
  if (r.status !== 200) throw new OperatorClientError('SIDECAR_ERROR', errorLine(r.json), r.status);
  return r.json;
}

export async function listCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    config: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  });
  const limit = values.limit === undefined ? 200 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new UsageError(`--limit must be a whole number from 1 to 1000 (got "${values.limit}")`);
  }
  const loaded = loadCliConfig(values.config, io.env);
  const q = new URLSearchParams({ limit: String(limit) });
  if (values.status) q.set('status', values.status);
  if (values.cursor) q.set('cursor', values.cursor);
  const body = (await get(loaded, `/v1/proposals?${q}`)) as {
    proposals: Record<string, unknown>[];
    more?: number;
    nextCursor?: string | null;
  };
  const more = body.more ?? 0;
  const again = [
    'mailwarden list',
    ...(values.status ? ['--status', values.status] : []),
    '--limit',
    String(limit),
    '--cursor',
    body.nextCursor ?? '',
  ].join(' ');
  print(io, values.json === true, body, () =>
    [
      ...(body.proposals.length === 0 ? ['no proposals'] : []),
      ...body.proposals.map(
        (p) => `${p.id}  ${String(p.status).padEnd(16)} ${String(p.action).padEnd(22)} ${p.principal}  ${p.createdAt}`,
      ),
      ...(more > 0 && body.nextCursor ? [`${more} more; next page: ${again}`] : []),
    ].join('\n'),
  );
  return EXIT_OK;
}

function formatCard(card: Record<string, unknown>): string {
  const params = (card.params ?? {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.join(', ') : '-');
  const decision = card.decision as { effect: string; rules: string[]; message: string };
  const lines = [
    `proposal ${card.id}  [${card.status}]`,
    `  action:    ${card.action} (${card.class}) by ${card.principal}`,
    `  created:   ${card.createdAt}${card.expiresAt ? `   expires: ${card.expiresAt}` : ''}`,
    `  why asked: ${decision.rules.join(', ')} — ${decision.message}`,
  ];
  if ('to' in params || 'cc' in params || 'bcc' in params) {
    lines.push(
      `  to:        ${list(params.to)}`,
      `  cc:        ${list(params.cc)}`,
      `  bcc:       ${list(params.bcc)}`,
    );
  }
  // A draft being sent: what it holds as gog has it now, which is what the approval binds.
  const draft = card.draft as
    | { to: string[]; cc: string[]; bcc: string[]; subject: string; body: string; digest: string }
    | undefined;
  if (draft) {
    lines.push(
      `  draft to:  ${list(draft.to)}`,
      `  draft cc:  ${list(draft.cc)}`,
      `  draft bcc: ${list(draft.bcc)}`,
      `  subject:   ${JSON.stringify(draft.subject)}`,
      `  body:      ${draft.body.split('\n').join('\n             ')}`,
      `  draft digest: ${draft.digest} (sending refuses a draft that no longer matches it)`,
    );
  }
  if (Array.isArray(card.derivedRecipients) && card.derivedRecipients.length > 0) {
    lines.push(
      `  derived:   ${(card.derivedRecipients as { address: string; source: string }[]).map((r) => `${r.address} (${r.source})`).join(', ')}`,
    );
  }
  for (const key of Object.keys(params)) {
    if (['to', 'cc', 'bcc', 'body', 'description'].includes(key)) continue;
    lines.push(`  ${`${key}:`.padEnd(10)} ${JSON.stringify(params[key])}`);
  }
  const attachments = card.attachments as { filename: string; mimeType: string; size: number }[] | undefined;
  lines.push(
    `  attachments: ${attachments && attachments.length > 0 ? attachments.map((a) => `${a.filename} (${a.mimeType}, ${a.size} bytes)`).join(', ') : 'none'}`,
  );
  const thread = card.thread as
    | { subject: string; messages: { from: string; date: string; snippet: string }[] }
    | undefined;
  if (thread) {
    lines.push(
      `  thread:    "${thread.subject}" (${thread.messages.length} message${thread.messages.length === 1 ? '' : 's'})`,
    );
    for (const m of thread.messages)
      lines.push(`  | ${m.date}  ${m.from}: ${m.snippet.replace(/\s+/g, ' ').slice(0, 100)}`);
  }
  if (card.justification) lines.push(`  agent says: ${card.justification}`);
  const body = params.body ?? params.description;
  if (typeof body === 'string') lines.push('  body:', ...body.split('\n').map((l) => `  | ${l}`));
  lines.push(`  integrity: ${card.integrity}`, `  hash:      ${card.hash}`);
  const approvals = card.approvals as { approver: string; decision: string }[];
  lines.push(
    `  approvals: ${approvals.length === 0 ? 'none yet' : approvals.map((a) => `${a.approver}:${a.decision}`).join(', ')} (quorum ${card.quorum})`,
  );
  return lines.join('\n');
}

export async function showCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { config: { type: 'string' } }, 1);
  if (!positionals[0]) throw new UsageError('usage: mailwarden show ID');
  const loaded = loadCliConfig(values.config, io.env);
  const body = (await get(loaded, `/v1/proposals/${encodeURIComponent(positionals[0])}`)) as {
    card: Record<string, unknown>;
  };
  print(io, values.json === true, body, () => formatCard(body.card));
  return EXIT_OK;
}

/** Signs an operator statement: the given claims plus approver, a fresh nonce and a short validity. */
export async function signOperatorStatement(
  signer: ReturnType<typeof resolveSigner>,
  claims: Record<string, unknown>,
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return signStatement(
    { ...claims, approver: signer.approver, nonce: newNonce(), iat, exp: iat + STATEMENT_LIFETIME_SECONDS },
    signer.key,
    signer.alg,
  );
}

export function resolveSigner(
  loaded: LoadedConfig,
  keyOpt: string | undefined,
  approverOpt: string | undefined,
  env: NodeJS.ProcessEnv,
) {
  const keyFile = keyOpt ?? env.MAILWARDEN_APPROVER_KEY ?? join(dirname(loaded.file), 'keys', 'approver.key');
  if (!existsSync(keyFile)) throw new UsageError(`no approver key at ${keyFile}; pass --key FILE`);
  const approvers = loaded.config.approvals.approvers.map((a) => a.id);
  const approver = approverOpt ?? env.MAILWARDEN_APPROVER ?? (approvers.length === 1 ? approvers[0] : undefined);
  if (!approver) throw new UsageError(`several approvers are configured (${approvers.join(', ')}); pass --approver ID`);
  return { ...loadSigningKey(keyFile), approver };
}

export async function decideCommand(decision: 'approve' | 'reject', args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      config: { type: 'string' },
      key: { type: 'string' },
      approver: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
    },
    1,
  );
  const id = positionals[0];
  if (!id) throw new UsageError(`usage: mailwarden ${decision} ID [--key FILE] [--yes]`);
  const loaded = loadCliConfig(values.config, io.env);
  const signer = resolveSigner(loaded, values.key, values.approver, io.env);
  const { card } = (await get(loaded, `/v1/proposals/${encodeURIComponent(id)}`)) as { card: Record<string, unknown> };
  if (values.json !== true) io.stdout(`${formatCard(card)}\n`);
  if (card.status !== 'pending_approval')
    throw new CheckFailed(`proposal ${id} is ${card.status}, not pending approval`);
  if (String(card.integrity) !== 'ok')
    throw new CheckFailed(`proposal ${id} failed its integrity check; do not ${decision} it`);
  if (values.yes !== true) {
    const ok = await io.confirm(
      `${decision === 'approve' ? 'Approve' : 'Reject'} proposal ${id} as ${signer.approver}? [y/N] `,
    );
    if (!ok) throw new CheckFailed('not confirmed; nothing was signed (use --yes to skip the question)');
  }
  const iat = Math.floor(Date.now() / 1000);
  const jws = await signStatement(
    {
      proposalId: id,
      proposalHash: String(card.hash),
      approver: signer.approver,
      decision,
      nonce: newNonce(),
      iat,
      exp: iat + STATEMENT_LIFETIME_SECONDS,
    },
    signer.key,
    signer.alg,
  );
  const r = await callOperator(operatorSocket(loaded), 'POST', `/v1/proposals/${encodeURIComponent(id)}/decisions`, {
    jws,
  });
  if (r.status !== 200) throw new CheckFailed(errorLine(r.json));
  const out = r.json as { outcome: string; proposal?: { status: string } };
  print(
    io,
    values.json === true,
    out,
    () =>
      `${decision === 'approve' ? 'approved' : 'rejected'}: ${out.outcome} (proposal now ${out.proposal?.status ?? 'unknown'})`,
  );
  return EXIT_OK;
}

export async function lockdownCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      config: { type: 'string' },
      key: { type: 'string' },
      approver: { type: 'string' },
      reason: { type: 'string' },
      principal: { type: 'string' },
    },
    1,
  );
  const state = positionals[0];
  if (state !== 'on' && state !== 'off')
    throw new UsageError('usage: mailwarden lockdown on|off [--reason TEXT] [--principal AGENT]');
  const loaded = loadCliConfig(values.config, io.env);
  const signer = resolveSigner(loaded, values.key, values.approver, io.env);
  const jws = await signOperatorStatement(signer, {
    lockdown: state === 'on',
    ...(values.principal ? { scope: `principal:${values.principal}` } : {}),
    reason: values.reason ?? (state === 'on' ? 'lockdown by operator' : 'lifted by operator'),
  });
  const r = await callOperator(operatorSocket(loaded), 'POST', '/v1/lockdown', { jws });
  if (r.status !== 200) throw new CheckFailed(errorLine(r.json));
  const out = r.json as { lockdown: boolean; scope: string };
  print(io, values.json === true, out, () => `lockdown ${out.lockdown ? 'on' : 'off'} (${out.scope})`);
  return EXIT_OK;
}

export async function postureCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { config: { type: 'string' } });
  const loaded = loadCliConfig(values.config, io.env);
  const posture = PostureSchema.parse(await get(loaded, '/v1/posture'));
  print(io, values.json === true, posture, () => summarisePosture(posture));
  return posture.mode === 'hard_enforcement_ready' ? EXIT_OK : EXIT_CHECK_FAILED;
}
