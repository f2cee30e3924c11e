// The contract between the rest of the sidecar and the evidence log.

export type EvidenceType =
  | 'sidecar_started'
  | 'sidecar_stopped'
  | 'proposal_submitted'
  | 'proposal_rejected_input'
  | 'decision'
  | 'execution_started'
  | 'execution_finished'
  | 'outcome_unknown'
  | 'approval_accepted'
  | 'approval_refused'
  | 'proposal_approved'
  | 'proposal_rejected'
  | 'proposal_expired'
  | 'proposal_cancelled'
  | 'lockdown_changed'
  | 'auth_failed'
  | 'token_minted'
  | 'evidence_recovered'
  | 'proposal_aborted'
  | 'evidence_pruned'
  | 'notification_attempt'
  | 'notification_failed'
  /** State holds proposals that evidence has no record of (found at start); open until acknowledged. */
  | 'evidence_gap'
  | 'evidence_gap_acknowledged';

/**
 * One event as the caller hands it over. SECURITY: `data` must already be free of mail bodies,
 * addresses and secrets (pass digests or keyed HMACs); the log is meant to be shared with auditors.
 */
export interface EvidenceEvent {
  readonly type: EvidenceType;
  readonly proposalId?: string;
  readonly principal?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface EvidenceReceipt {
  readonly seq: number;
  readonly hash: string;
}

export interface EvidenceLog {
  /** Resolves only once the record is durable (fsync'd); rejects if it could not be written. */
  append(event: EvidenceEvent): Promise<EvidenceReceipt>;
  /** Keyed digest for values that must be linkable but not readable (addresses, bodies). */
  blind(value: string): string;
  close(): Promise<void>;
}

/** A signed checkpoint as handed to an export sink. */
export interface ExportedCheckpoint {
  readonly origin: string;
  readonly size: number;
  /** Base64 Merkle root over the first `size` records. */
  readonly root: string;
  /** The whole signed note, exactly as stored beside the log. */
  readonly text: string;
}

/** Where checkpoints go so that they leave the host (a directory the operator owns, a command, a witness). */
export interface CheckpointSink {
  readonly name: string;
  put(checkpoint: ExportedCheckpoint): Promise<void>;
}

/** What the log reports about itself besides appends; never carries record contents. */
export type EvidenceLogEvent =
  | { readonly kind: 'checkpoint'; readonly size: number; readonly file: string }
  | { readonly kind: 'checkpoint_failed'; readonly size: number; readonly error: Error }
  | { readonly kind: 'sink_failed'; readonly sink: string; readonly size: number; readonly error: Error }
  | { readonly kind: 'rotated'; readonly segment: string }
  | { readonly kind: 'rotate_failed'; readonly error: Error }
  | { readonly kind: 'pruned'; readonly segments: readonly string[]; readonly anchorSize: number }
  | { readonly kind: 'prune_failed'; readonly error: Error }
  | { readonly kind: 'recovered'; readonly segment: string; readonly line: number; readonly quarantine: string }
  | { readonly kind: 'write_failed'; readonly error: Error; readonly fatal: boolean }
  /** The log had records but no acknowledged-head file (written before it existed, or removed); a new one was made. */
  | { readonly kind: 'head_created'; readonly size: number; readonly previous: 'missing' }
  /** Start-up trusted the signed resume point at `from` and verified the records after it. */
  | { readonly kind: 'opened'; readonly size: number; readonly verifiedFrom: number };
