// The verifier anyone with the public key can run: verdict, first bad record, proposal trail, approval checks.
import type { KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compactVerify } from 'jose';
import { type EvidenceReader, listEvidenceDir, nodeReader } from './layout.ts';
import { CompactRange, leafHash, ProofTree, verifyInclusion } from './merkle.ts';
import { DEFAULT_PARALLEL, type ParallelScanOptions } from './parallel-scan.ts';
import { type BadRecord, type LocatedRecord, type ScanResult, scanLog } from './scan.ts';

export type { BadRecord, TamperReason } from './scan.ts';

export interface VerifySummary {
  /** Records read (after the prune anchor, if any). */
  readonly records: number;
  readonly firstSeq: number;
  readonly lastSeq: number | null;
  readonly segments: number;
  /** How many records the latest signed checkpoint covers. */
  readonly signedSize: number;
  readonly latestCheckpoint: { readonly file: string; readonly size: number; readonly root: string } | null;
  readonly anchor: { readonly size: number; readonly root: string } | null;
  readonly approvals: { readonly verified: number; readonly unchecked: number };
  /** Ed25519 signatures checked (checkpoints, resume point, anchor); an exported copy identical to a local note is not checked twice. */
  readonly signaturesChecked: number;
  /** Checkpoints exported elsewhere (`externalCheckpoints`) that the log was held against; null when none were given. */
  readonly exported: { readonly checkpoints: number; readonly identicalToLocal: number } | null;
  readonly warnings: readonly string[];
}

export interface TrailRecord {
  readonly seq: number;
  readonly ts: string;
  readonly type: string;
  readonly principal?: string;
  readonly hash: string;
  readonly file: string;
  readonly line: number;
  readonly data: Readonly<Record<string, unknown>>;
  /** `proven`: an inclusion proof checks against the latest signed root; `unsigned`: not yet checkpointed. */
  readonly inclusion: 'proven' | 'unsigned';
}

export interface ProposalTrail {
  readonly proposalId: string;
  readonly records: readonly TrailRecord[];
  readonly checkpoint: { readonly size: number; readonly root: string } | null;
}

export type VerifyReport =
  | ({ readonly verdict: 'intact'; readonly proposal?: ProposalTrail } & VerifySummary)
  | ({ readonly verdict: 'tampered'; readonly firstBad: BadRecord } & VerifySummary)
  | { readonly verdict: 'cannot_verify'; readonly reason: string };

/**
 * Re-verifies a recorded passkey assertion against the approver's enrolled public key: the statement it signed,
 * or a refusal, or null when no passkey is known for that approver.
 */
export type PasskeyRecheck = (
  approver: string,
  assertion: unknown,
) => Promise<{ ok: true; statement: Record<string, unknown> } | { ok: false; message: string } | null>;

export interface VerifyEvidenceOptions {
  readonly dir: string;
  readonly publicKey: KeyObject | null;
  readonly approverKeys?: ReadonlyMap<string, KeyObject>;
  /** Re-checks a passkey approval (a WebAuthn assertion) offline; without it such approvals stay unchecked. */
  readonly passkeyCheck?: PasskeyRecheck;
  readonly proposalId?: string;
  /** Directories of exported checkpoints (e.g. a directory sink's target) to hold the log against. */
  readonly externalCheckpoints?: readonly string[];
  /** Where files are read from; the real file system unless given (e.g. a copy held in memory). */
  readonly reader?: EvidenceReader;
  /** Bytes of segment files read so far, out of the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Worker threads check a large log in pieces (from the real file system only); `false` keeps every read in
   * this thread. The verdict is the same either way.
   */
  readonly parallel?: Partial<ParallelScanOptions> | false;
}

export async function verifyEvidence(opts: VerifyEvidenceOptions): Promise<VerifyReport> {
  if (!opts.publicKey) {
    return { verdict: 'cannot_verify', reason: 'no evidence public key was given; pass the evidence.pub of this log' };
  }
  const reader = opts.reader ?? nodeReader;
  try {
    await reader.readdir(opts.dir);
  } catch {
    return { verdict: 'cannot_verify', reason: `no evidence log at ${opts.dir}` };
  }
  const sizes = new Map<string, number>();
  let scan: ScanResult;
  try {
    if (opts.onProgress && reader === nodeReader) {
      for (const s of (await listEvidenceDir(opts.dir, reader)).segments) {
        sizes.set(s.name, (await stat(join(opts.dir, s.name))).size);
      }
    }
    scan = await scanLog({
      dir: opts.dir,
      publicKey: opts.publicKey,
      sizes,
      ...(opts.proposalId === undefined ? {} : { proposalId: opts.proposalId }),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.externalCheckpoints ? { externalCheckpoints: opts.externalCheckpoints } : {}),
      ...(opts.parallel !== false && reader === nodeReader
        ? { parallel: { ...DEFAULT_PARALLEL, ...opts.parallel } }
        : {}),
      reader,
    });
  } catch (err) {
    return { verdict: 'cannot_verify', reason: `could not read the log: ${(err as Error).message}` };
  }

  if (scan.foreignKey) {
    return {
      verdict: 'cannot_verify',
      reason: 'no checkpoint of this log is signed by the given public key; is it the evidence.pub of this log?',
    };
  }
  const warnings: string[] = [];
  if (scan.torn) {
    warnings.push(
      `${scan.torn.segment} line ${scan.torn.line}: torn final line after the last checkpoint ` +
        '(an interrupted write; the sidecar quarantines it at its next start)',
    );
  }
  if (scan.skippedSegments.length > 0) warnings.push(`segments already covered by the anchor: ${scan.skippedSegments}`);
  const approvals = await checkApprovals(scan.approvals, opts.approverKeys ?? new Map(), opts.passkeyCheck);
  if (approvals.unchecked > 0)
    warnings.push(`${approvals.unchecked} approval(s) not re-verified (approver key unknown)`);
  const latest = scan.checkpoints.at(-1) ?? null;
  const base = scan.anchor?.size ?? 0;
  const unsigned = base + scan.records - (latest?.size ?? base);
  if (unsigned > 0) {
    warnings.push(`${unsigned} record(s) after the newest checkpoint are chained but not yet signed`);
  }
  const summary: VerifySummary = {
    records: scan.records,
    firstSeq: base,
    lastSeq: scan.records > 0 ? base + scan.records - 1 : null,
    segments: scan.listing.segments.length - scan.skippedSegments.length,
    signedSize: latest?.size ?? base,
    latestCheckpoint: latest ? { file: latest.file, size: latest.size, root: latest.root.toString('base64') } : null,
    anchor: scan.anchor ? { size: scan.anchor.size, root: scan.anchor.root.toString('base64') } : null,
    approvals: { verified: approvals.verified, unchecked: approvals.unchecked },
    signaturesChecked: scan.signatures,
    exported: opts.externalCheckpoints?.length
      ? { checkpoints: scan.exported.notes, identicalToLocal: scan.exported.sameAsLocal }
      : null,
    warnings,
  };

  const firstBad = pickFirstBad(scan.firstBad, approvals.bad);
  if (firstBad) return { verdict: 'tampered', firstBad, ...summary };
  if (!latest && !scan.anchor) {
    return {
      verdict: 'cannot_verify',
      reason: 'the log has no signed checkpoint or anchor yet; start and stop the sidecar once to seal it',
    };
  }
  if (opts.proposalId === undefined) return { verdict: 'intact', ...summary };

  const trail = buildTrail(opts.proposalId, scan, latest);
  if ('bad' in trail) return { verdict: 'tampered', firstBad: trail.bad, ...summary };
  return { verdict: 'intact', proposal: trail, ...summary };
}

function pickFirstBad(chain: BadRecord | null, approval: BadRecord | null): BadRecord | null {
  if (!chain) return approval;
  if (!approval) return chain;
  // A bad signature on a checkpoint or anchor note outranks everything; otherwise the earlier record wins.
  if (chain.seq === null) return chain;
  return (approval.seq ?? 0) < chain.seq ? approval : chain;
}

function buildTrail(
  proposalId: string,
  scan: ScanResult,
  latest: ScanResult['checkpoints'][number] | null,
): ProposalTrail | { bad: BadRecord } {
  const base = scan.anchor ? new CompactRange(scan.anchor.size, scan.anchor.frontier) : new CompactRange();
  const tree = new ProofTree(base, scan.leaves ?? []);
  const records: TrailRecord[] = [];
  for (const { record: r, file, line } of scan.trail) {
    let inclusion: TrailRecord['inclusion'] = 'unsigned';
    if (latest && r.seq < latest.size) {
      const leaf = leafHash(r.hash);
      const proof = tree.inclusionProof(r.seq, latest.size);
      if (!verifyInclusion(r.seq, latest.size, leaf, proof, latest.root)) {
        const message = `the record is not included in the signed checkpoint ${latest.file}`;
        return { bad: { file, line, seq: r.seq, reason: 'hash_mismatch', message } };
      }
      inclusion = 'proven';
    }
    records.push({
      seq: r.seq,
      ts: r.ts,
      type: r.type,
      ...(r.principal === undefined ? {} : { principal: r.principal }),
      hash: r.hash,
      file,
      line,
      data: r.data,
      inclusion,
    });
  }
  return {
    proposalId,
    records,
    checkpoint: latest ? { size: latest.size, root: latest.root.toString('base64') } : null,
  };
}

async function checkApprovals(
  found: readonly LocatedRecord[],
  keys: ReadonlyMap<string, KeyObject>,
  passkeyCheck: PasskeyRecheck | undefined,
): Promise<{ verified: number; unchecked: number; bad: BadRecord | null }> {
  let verified = 0;
  let unchecked = 0;
  for (const { record: r, file, line } of found) {
    const jws = r.data['jws'];
    const assertion = r.data['webauthn'];
    const approver = r.data['approver'];
    const key = typeof approver === 'string' ? keys.get(approver) : undefined;
    const fail = (message: string) => ({
      verified,
      unchecked,
      bad: { file, line, seq: r.seq, reason: 'bad_signature' as const, message },
    });
    let payload: unknown;
    if (assertion !== undefined && typeof approver === 'string' && passkeyCheck) {
      const result = await passkeyCheck(approver, assertion);
      if (result === null) {
        unchecked++;
        continue;
      }
      if (!result.ok) return fail(`the passkey approval by ${approver} does not verify: ${result.message}`);
      payload = result.statement;
    } else {
      if (typeof jws !== 'string' || !key) {
        unchecked++;
        continue;
      }
      try {
        const result = await compactVerify(jws, key, { algorithms: ['EdDSA', 'Ed25519'] });
        payload = JSON.parse(new TextDecoder().decode(result.payload));
      } catch (err) {
        return fail(`the approval by ${approver} does not verify: ${(err as Error).message}`);
      }
    }
    // The signature must also be about this record: same approver, same proposal, an approval.
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
    if (p['approver'] !== approver) return fail('the signed approval names a different approver');
    if (r.proposalId !== undefined && p['proposalId'] !== r.proposalId) {
      return fail('the signed approval is for a different proposal');
    }
    // A record may carry its decision (approve or reject); the signature must say the same.
    const recorded = typeof r.data['decision'] === 'string' ? r.data['decision'] : 'approve';
    if (p['decision'] !== undefined && p['decision'] !== recorded) {
      return fail(`the signed decision is not "${recorded}" as recorded`);
    }
    verified++;
  }
  return { verified, unchecked, bad: null };
}
