// Checks of declared service state: approval mode, evidence integrity and export, bypass attestation.
import type { RatedCheck } from './rated-check.ts';
import type { PostureInput } from './types.ts';

export function approvalModeCheck(mode: PostureInput['approvalMode']): RatedCheck {
  const id = 'approvals.mode';
  if (mode === 'eddsa') {
    return {
      id,
      required: true,
      status: 'pass',
      summary: 'approvals are Ed25519 signatures; the sidecar holds public keys only',
    };
  }
  return {
    id,
    required: true,
    status: 'warn',
    summary: 'weaker mode: HS256 approvals, so the sidecar holds a secret that can also sign',
    fix: 'set approvals.mode to eddsa and give each approver an Ed25519 key (mailwarden keygen)',
  };
}

export function evidenceVerifyCheck(verdict: PostureInput['evidence']['verdict']): RatedCheck {
  const id = 'evidence.verify';
  switch (verdict) {
    case 'intact':
      return { id, required: true, status: 'pass', summary: 'the evidence log verifies' };
    case 'tampered':
      return {
        id,
        required: true,
        status: 'fail',
        summary: 'the evidence log does not verify: a record was changed or removed',
        fix: 'run mailwarden evidence verify to find the first bad record, then follow docs/operations.md',
      };
    case 'cannot_verify':
      return {
        id,
        required: true,
        status: 'unknown',
        summary: 'the evidence log cannot be verified (missing key or checkpoint)',
        fix: 'check evidence.publicKey in the config and run mailwarden evidence verify',
      };
    case 'unknown':
      return {
        id,
        required: true,
        status: 'unknown',
        summary: 'the evidence log has not been verified yet',
        fix: 'run mailwarden evidence verify',
      };
  }
}

export function evidenceExportCheck(exported: boolean): RatedCheck {
  const id = 'evidence.export';
  if (exported)
    return {
      id,
      required: false,
      status: 'pass',
      summary: 'signed checkpoints are exported to a sink (keep it off this host)',
    };
  return {
    id,
    required: false,
    status: 'warn',
    summary: 'checkpoints are not exported: a compromised host could rewrite its history unnoticed',
    fix: 'set evidence.export.dir or evidence.export.command to ship checkpoints to a witness',
  };
}

export function bypassAttestationCheck(att: PostureInput['bypassAttestation']): RatedCheck {
  const id = 'bypass.attestation';
  const fix =
    'record that the agent has no Google credentials or direct gog of its own, and give its evidence reference';
  if (att === undefined) {
    return {
      id,
      required: true,
      status: 'unknown',
      summary: 'nobody has attested that the agent cannot reach Gmail directly',
      fix,
    };
  }
  if (att.evidenceRef.trim() === '') {
    return {
      id,
      required: true,
      status: 'unknown',
      summary: 'a bypass attestation without an evidence reference is only self-declared',
      fix,
    };
  }
  return {
    id,
    required: true,
    status: 'pass',
    summary: `no direct route to Gmail, attested in evidence ${att.evidenceRef}`,
  };
}

/** State rows the evidence log had no record of: loud until an operator acknowledges each gap with a signature. */
export function evidenceGapCheck(gaps: NonNullable<PostureInput['evidence']['gaps']>): RatedCheck {
  const id = 'evidence.gaps';
  if (gaps.length === 0) {
    return { id, required: true, status: 'pass', summary: 'state and evidence agree (no open evidence gap)' };
  }
  const proposals = gaps.reduce((n, g) => n + g.proposals.length, 0);
  return {
    id,
    required: true,
    status: 'fail',
    summary:
      `${gaps.length} open evidence gap(s) (${gaps.map((g) => `#${g.id}`).join(', ')}): state held ${proposals} ` +
      'proposal(s) the evidence log has no record of (evidence cut back, or state from elsewhere)',
    fix:
      'compare the evidence log with its exported checkpoints and backups, then acknowledge each gap: ' +
      'mailwarden evidence acknowledge-gap ID --reason TEXT',
  };
}
