// `mailwarden evidence verify [--json] [--proposal ID]`: exit 0 intact, 1 tampered, 2 cannot verify or usage.
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseEd25519PublicKey } from './keys.ts';
import { type PasskeyRecheck, type VerifyReport, verifyEvidence } from './verify.ts';

export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly isTTY: boolean;
}

export interface EvidenceCliPaths {
  readonly dir: string;
  readonly publicKeyPath: string | null;
  readonly approverKeyPaths?: Readonly<Record<string, string>>;
  /** Re-checks passkey approvals against the enrolled credentials. */
  readonly passkeyCheck?: PasskeyRecheck;
  /** Where exported checkpoints are kept (the directory sink's target), checked along with the log. */
  readonly checkpointDirs?: readonly string[];
  /** Logs smaller than this show no progress bar (default 8 MiB). */
  readonly progressMinBytes?: number;
}

const USAGE = 'usage: mailwarden evidence verify [--json] [--proposal ID] [--checkpoints DIR]';
/** Below this many bytes of log the verdict comes before a bar would be seen. */
const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

export async function evidenceVerifyCommand(
  argv: readonly string[],
  io: CliIo,
  paths: EvidenceCliPaths,
): Promise<number> {
  const args = [...argv];
  if (args[0] === 'evidence') args.shift();
  if (args[0] === 'verify') args.shift();
  let json = false;
  let proposalId: string | undefined;
  const checkpointDirs = [...(paths.checkpointDirs ?? [])];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--proposal' && args[i + 1] && !args[i + 1]!.startsWith('--')) proposalId = args[++i];
    else if (a.startsWith('--proposal=') && a.length > 11) proposalId = a.slice(11);
    else if (a === '--checkpoints' && args[i + 1] && !args[i + 1]!.startsWith('--')) checkpointDirs.push(args[++i]!);
    else if (a === '--help' || a === '-h') {
      io.stdout(`${USAGE}\n`);
      return 0;
    } else {
      io.stderr(`unknown or incomplete argument "${a}"\n${USAGE}\n`);
      return 2;
    }
  }

  const warnings: string[] = [];
  let publicKey: KeyObject | null = null;
  let keyProblem: string | null = null;
  if (paths.publicKeyPath === null) keyProblem = 'no evidence public key is configured (evidence.publicKey)';
  else {
    try {
      publicKey = parseEd25519PublicKey(await readFile(paths.publicKeyPath, 'utf8'), paths.publicKeyPath);
    } catch (err) {
      keyProblem = `cannot read the evidence public key ${paths.publicKeyPath}: ${(err as Error).message}`;
    }
  }
  const approverKeys = new Map<string, KeyObject>();
  for (const [approver, path] of Object.entries(paths.approverKeyPaths ?? {})) {
    try {
      approverKeys.set(approver, parseEd25519PublicKey(await readFile(path, 'utf8'), path));
    } catch (err) {
      warnings.push(`approver ${approver}: ${(err as Error).message}`);
    }
  }

  const bar = io.isTTY && !json ? progressBar(io, paths.progressMinBytes ?? PROGRESS_MIN_BYTES) : undefined;
  const report: VerifyReport = keyProblem
    ? { verdict: 'cannot_verify', reason: keyProblem }
    : await verifyEvidence({
        dir: paths.dir,
        publicKey,
        approverKeys,
        ...(paths.passkeyCheck ? { passkeyCheck: paths.passkeyCheck } : {}),
        externalCheckpoints: checkpointDirs,
        ...(proposalId === undefined ? {} : { proposalId }),
        ...(bar ? { onProgress: bar.update } : {}),
      });
  bar?.done();

  const full = report.verdict === 'cannot_verify' ? report : { ...report, warnings: [...report.warnings, ...warnings] };
  if (json) io.stdout(`${JSON.stringify(full, null, 2)}\n`);
  else io.stdout(render(full));
  return report.verdict === 'intact' ? 0 : report.verdict === 'tampered' ? 1 : 2;
}

function progressBar(io: CliIo, minBytes: number) {
  let shown = false;
  let lastPct = -1;
  return {
    update: (done: number, total: number) => {
      if (total < minBytes) return;
      const pct = Math.min(100, Math.floor((done / total) * 100));
      if (pct === lastPct) return;
      lastPct = pct;
      shown = true;
      const filled = Math.round(pct / 4);
      io.stderr(`\rverifying evidence [${'#'.repeat(filled)}${'.'.repeat(25 - filled)}] ${pct}%`);
    },
    done: () => {
      if (shown) io.stderr('\r\x1b[K');
    },
  };
}

function render(r: VerifyReport): string {
  if (r.verdict === 'cannot_verify') return `evidence: CANNOT VERIFY: ${r.reason}\n`;
  const lines: string[] = [];
  const span = r.lastSeq === null ? 'no records' : `${r.records} records (seq ${r.firstSeq}–${r.lastSeq})`;
  if (r.verdict === 'tampered') {
    const b = r.firstBad;
    lines.push(`evidence: TAMPERED: ${b.reason} at ${b.file} line ${b.line}${b.seq === null ? '' : ` (seq ${b.seq})`}`);
    lines.push(`  ${b.message}`);
    lines.push('  keep the directory as it is and compare it with the checkpoints exported off this host');
  } else {
    lines.push(`evidence: INTACT: ${span} in ${r.segments} segment(s)`);
    lines.push(`  signed up to ${r.signedSize} records${r.latestCheckpoint ? ` (${r.latestCheckpoint.file})` : ''}`);
    if (r.exported) {
      lines.push(
        `  held against ${r.exported.checkpoints} exported checkpoint(s), ${r.exported.identicalToLocal} identical to the local copies`,
      );
    }
    if (r.anchor) lines.push(`  records before seq ${r.anchor.size} were pruned under a signed anchor`);
    lines.push(`  approvals re-verified: ${r.approvals.verified}`);
    if (r.proposal) {
      lines.push(`proposal ${r.proposal.proposalId}: ${r.proposal.records.length} record(s)`);
      for (const t of r.proposal.records) {
        const inc = t.inclusion === 'proven' ? 'included in signed checkpoint' : 'not yet checkpointed';
        lines.push(`  seq ${t.seq}  ${t.ts}  ${t.type}${t.principal ? `  by ${t.principal}` : ''}  (${inc})`);
      }
    }
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
