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
  | 'evidence_recovered';

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
