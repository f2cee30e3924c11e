// `mailwarden evidence verify` (the evidence domain's verifier, fed the paths from the config) and
// `mailwarden evidence acknowledge-gap` (a signed statement that closes an evidence gap found at start).

import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { type PasskeyCredential, readPasskeyCredential, verifyPasskeyDecision } from '../approval/index.ts';
import type { ApproverEntry } from '../config/index.ts';
import { evidenceVerifyCommand, findProposalEvidence, type PasskeyRecheck } from '../evidence/index.ts';
import { CheckFailed, type CliIo, EXIT_OK, loadCliConfig, parse, print, UsageError } from './io.ts';
import { callOperator, errorLine } from './operator-client.ts';
import { operatorSocket, resolveSigner, signOperatorStatement } from './operator-commands.ts';

const USAGE =
  'usage: mailwarden evidence verify [--json] [--proposal ID] [--checkpoints DIR] [--state FILE] [--config FILE]\n' +
  '       mailwarden evidence acknowledge-gap ID --reason TEXT [--key FILE] [--approver ID] [--config FILE]';

/** Offline re-check of passkey approvals against the credentials enrolled in the config. */
function passkeyRecheck(approvers: readonly ApproverEntry[]): PasskeyRecheck {
  const credentials = new Map<string, PasskeyCredential | null>();
  const credentialOf = (id: string): PasskeyCredential | null => {
    if (!credentials.has(id)) {
      const file = approvers.find((a) => a.id === id)?.webauthn;
      let cred: PasskeyCredential | null = null;
      try {
        cred = file ? readPasskeyCredential(file) : null;
      } catch {
        cred = null;
      }
      credentials.set(id, cred);
    }
    return credentials.get(id) ?? null;
  };
  return async (approver, assertion) => {
    if (!credentialOf(approver)) return null;
    const check = await verifyPasskeyDecision(assertion, credentialOf);
    return check.ok ? { ok: true, statement: { ...check.payload } } : { ok: false, message: check.message };
  };
}

export async function evidenceCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'acknowledge-gap') return acknowledgeGap(rest, io);
  if (sub !== 'verify') throw new UsageError(USAGE);
  const idx = rest.indexOf('--config');
  const inline = rest.find((a) => a.startsWith('--config='));
  const configArg = idx >= 0 ? rest[idx + 1] : inline?.slice('--config='.length);
  if (idx >= 0 && !configArg) throw new UsageError('--config needs a FILE');
  let forward = rest.filter((a, i) => !(a === '--config' || (idx >= 0 && i === idx + 1) || a.startsWith('--config=')));
  const si = forward.indexOf('--state');
  const statePath = si >= 0 ? forward[si + 1] : undefined;
  if (si >= 0 && (!statePath || statePath.startsWith('--'))) throw new UsageError('--state needs the FILE of state.db');
  if (si >= 0) forward = forward.filter((_, i) => i !== si && i !== si + 1);
  const json = forward.includes('--json');
  const { config } = loadCliConfig(configArg, io.env);
  const approverKeyPaths = Object.fromEntries(
    config.approvals.mode === 'eddsa'
      ? config.approvals.approvers.flatMap((a) => (a.publicKey ? [[a.id, a.publicKey]] : []))
      : [],
  );
  let out = '';
  const code = await evidenceVerifyCommand(
    forward,
    // The progress bar goes to stderr, so it is shown only when stderr itself is a terminal.
    {
      stdout: (s) => {
        if (statePath && json) out += s;
        else io.stdout(s);
      },
      stderr: io.stderr,
      isTTY: process.stderr.isTTY === true,
    },
    {
      dir: config.paths.evidenceDir,
      publicKeyPath: config.evidence.publicKey,
      approverKeyPaths,
      passkeyCheck: passkeyRecheck(config.approvals.approvers),
      // SECURITY: exported checkpoints catch a log whose newest records were cut together with their checkpoints.
      ...(config.evidence.export?.dir ? { checkpointDirs: [config.evidence.export.dir] } : {}),
    },
  );
  if (!statePath) return code;
  const cross = await crossCheckState(statePath, config.paths.evidenceDir);
  if (json) io.stdout(`${JSON.stringify({ ...(JSON.parse(out) as object), state: cross }, null, 2)}\n`);
  else {
    io.stdout(
      cross.mismatches.length === 0
        ? `state: AGREES: ${cross.rows} proposal row(s) of ${statePath} match the evidence\n`
        : `state: DISAGREES: ${cross.mismatches.length} of ${cross.rows} proposal row(s)\n${cross.mismatches
            .slice(0, 50)
            .map((m) => `  ${m.proposalId} (${m.status}): ${m.problem}`)
            .join('\n')}\n`,
    );
  }
  return code !== 0 ? code : cross.mismatches.length > 0 ? 1 : 0;
}

interface StateMismatch {
  readonly proposalId: string;
  readonly status: string;
  readonly problem: 'state_without_evidence' | 'state_behind_evidence';
}

/**
 * Every proposal row held against the evidence log: a row evidence has no record of, and a row that says it has
 * not run while evidence shows its execution began. (A pruned log cannot vouch for rows older than its anchor.)
 */
async function crossCheckState(
  file: string,
  evidenceDir: string,
): Promise<{ rows: number; mismatches: StateMismatch[] }> {
  if (!existsSync(file)) throw new UsageError(`no state database at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let rows: { id: string; status: string; created_at: string }[];
  try {
    rows = db.prepare('SELECT id, status, created_at FROM proposals').all() as typeof rows;
  } finally {
    db.close();
  }
  const found = await findProposalEvidence({ dir: evidenceDir, ids: new Set(rows.map((r) => r.id)) });
  const mismatches: StateMismatch[] = [];
  for (const r of rows) {
    const ev = found.byId.get(r.id);
    if (!ev) mismatches.push({ proposalId: r.id, status: r.status, problem: 'state_without_evidence' });
    else if (
      (r.status === 'pending_approval' || r.status === 'approved') &&
      (ev.types.has('execution_started') || ev.types.has('execution_finished'))
    ) {
      mismatches.push({ proposalId: r.id, status: r.status, problem: 'state_behind_evidence' });
    }
  }
  return { rows: rows.length, mismatches };
}

async function acknowledgeGap(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { config: { type: 'string' }, key: { type: 'string' }, approver: { type: 'string' }, reason: { type: 'string' } },
    1,
  );
  const id = Number(positionals[0]);
  if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`the gap ID must be a number ≥ 1\n${USAGE}`);
  if (!values.reason) throw new UsageError(`--reason TEXT is required: say what was checked\n${USAGE}`);
  const loaded = loadCliConfig(values.config, io.env);
  const signer = resolveSigner(loaded, values.key, values.approver, io.env);
  const jws = await signOperatorStatement(signer, { evidenceGap: id, reason: values.reason });
  const r = await callOperator(operatorSocket(loaded), 'POST', '/v1/evidence/gaps/acknowledge', { jws });
  if (r.status !== 200) throw new CheckFailed(errorLine(r.json));
  print(io, values.json === true, r.json, () => `evidence gap #${id} acknowledged by ${signer.approver}`);
  return EXIT_OK;
}
