// The proposal life cycle: one service that owns submit, decide, approve, execute and record.

export type { ProposalErrorCode } from './errors.ts';
export { ProposalError } from './errors.ts';
export { timeOrderedId } from './ids.ts';
export type { ProposalRow } from './repository.ts';
export type {
  ApprovalCheck,
  ExecutionControls,
  FactsSource,
  Preflight,
  ProposalRecord,
  ProposalService,
  ProposalServiceDeps,
} from './service.ts';
export { createProposalService } from './service.ts';
export type { SealedProposal, StoredProposal, TypedAction } from './stored-proposal.ts';
export { StoredProposalSchema, sealProposal, unsealProposal } from './stored-proposal.ts';
export { submissionStatus, toView } from './view.ts';
