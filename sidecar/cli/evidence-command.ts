// `mailwarden evidence verify`: the evidence domain's verifier, fed the paths from the config.

import { type PasskeyCredential, readPasskeyCredential, verifyPasskeyDecision } from '../approval/index.ts';
import type { ApproverEntry } from '../config/index.ts';
import { evidenceVerifyCommand, type PasskeyRecheck } from '../evidence/index.ts';
import { type CliIo, loadCliConfig, UsageError } from './io.ts';

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
  if (sub !== 'verify')
    throw new UsageError(
      'usage: mailwarden evidence verify [--json] [--proposal ID] [--checkpoints DIR] [--config FILE]',
    );
  const idx = rest.indexOf('--config');
  const inline = rest.find((a) => a.startsWith('--config='));
  const configArg = idx >= 0 ? rest[idx + 1] : inline?.slice('--config='.length);
  if (idx >= 0 && !configArg) throw new UsageError('--config needs a FILE');
  const forward = rest.filter(
    (a, i) => !(a === '--config' || (idx >= 0 && i === idx + 1) || a.startsWith('--config=')),
  );
  const { config } = loadCliConfig(configArg, io.env);
  const approverKeyPaths = Object.fromEntries(
    config.approvals.mode === 'eddsa'
      ? config.approvals.approvers.flatMap((a) => (a.publicKey ? [[a.id, a.publicKey]] : []))
      : [],
  );
  return evidenceVerifyCommand(
    forward,
    { stdout: io.stdout, stderr: io.stderr, isTTY: io.stdoutIsTTY },
    {
      dir: config.paths.evidenceDir,
      publicKeyPath: config.evidence.publicKey,
      approverKeyPaths,
      passkeyCheck: passkeyRecheck(config.approvals.approvers),
      // SECURITY: exported checkpoints catch a log whose newest records were cut together with their checkpoints.
      ...(config.evidence.export?.dir ? { checkpointDirs: [config.evidence.export.dir] } : {}),
    },
  );
}
