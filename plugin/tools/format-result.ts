// Turns the sidecar's answers into tool results a model can act on; anything unexpected fails closed.
import type { ActionName, ProposalStatus, ProposalView } from '../../shared/index.ts';
import {
  ADVICE_BY_STATUS,
  DEFAULT_ADVICE,
  ErrorBodySchema,
  PROPOSAL_HTTP_STATUSES,
  ProposalResponseSchema,
} from '../../shared/index.ts';
import type { ClientFailure } from '../client/agent-client.ts';
import { STATUS_TOOL_NAME } from './tool-definitions.ts';

/** What happened, as one word a runtime or a test can branch on. */
export type ToolOutcome =
  | ProposalStatus
  | 'invalid_params'
  | 'rejected_request'
  | 'unreachable'
  | 'invalid_answer'
  | 'not_configured';

export interface FormattedResult {
  /** The text the model reads. */
  readonly text: string;
  /** True unless the request ran, or is waiting for (or has) the owner's approval. */
  readonly isError: boolean;
  readonly outcome: ToolOutcome;
  readonly httpStatus?: number;
  readonly proposalId?: string;
  readonly correlationId?: string;
  readonly rules?: readonly string[];
  /** The action the proposal is for, when the sidecar named one. */
  readonly action?: ActionName;
  /** The action's result, only when it ran (outcome `executed`). */
  readonly result?: unknown;
  /** Why it did not run or is waiting: the policy's message, or what went wrong. */
  readonly reason?: string;
  readonly expiresAt?: string;
}

const MAX_MESSAGE = 2_000;

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

function ruleList(rules: readonly string[]): string {
  return rules.length > 0 ? ` (policy rules: ${rules.join(', ')})` : '';
}

/** HTTP statuses a proposal in a given state may arrive with; anything else is an answer we do not trust. */
function statusMatchesHttp(status: ProposalStatus, http: number): boolean {
  return PROPOSAL_HTTP_STATUSES[status].includes(http);
}

function formatProposal(p: ProposalView, httpStatus: number): FormattedResult {
  const why = clip(p.decision.message);
  const base = {
    httpStatus,
    proposalId: p.id,
    correlationId: p.correlationId,
    rules: p.decision.rules,
    action: p.action,
    ...(why ? { reason: why } : {}),
    ...(p.expiresAt ? { expiresAt: p.expiresAt } : {}),
  };
  switch (p.status) {
    case 'executed':
      return {
        ...base,
        outcome: 'executed',
        isError: false,
        result: p.result ?? null,
        text: JSON.stringify({ status: 'executed', proposalId: p.id, result: p.result ?? null }, null, 2),
      };
    case 'pending_approval':
      return {
        ...base,
        outcome: 'pending_approval',
        isError: false,
        text:
          `Waiting for the owner's approval (proposal ${p.id}). Check later with ${STATUS_TOOL_NAME}. ` +
          `Nothing has happened yet; do not submit the same request again.` +
          (why ? ` Policy: ${why}${ruleList(p.decision.rules)}.` : '') +
          (p.expiresAt ? ` The request expires at ${p.expiresAt}.` : ''),
      };
    case 'approved':
      return {
        ...base,
        outcome: 'approved',
        isError: false,
        text: `The owner approved proposal ${p.id}; it is being carried out. Check again with ${STATUS_TOOL_NAME}.`,
      };
    case 'denied':
      return {
        ...base,
        outcome: 'denied',
        isError: true,
        text:
          `Denied by the mailbox owner's policy: ${why || 'no reason given'}${ruleList(p.decision.rules)}. ` +
          `Nothing was done (proposal ${p.id}). Do not retry this request in another form; tell the user if it matters.`,
      };
    case 'rejected':
      return {
        ...base,
        outcome: 'rejected',
        isError: true,
        text: `The owner rejected proposal ${p.id}; nothing was done. Do not submit it again unless the user asks.`,
      };
    case 'expired':
      return {
        ...base,
        outcome: 'expired',
        isError: true,
        text: `Proposal ${p.id} expired without the owner's decision; nothing was done. Ask the user before trying again.`,
      };
    case 'cancelled':
      return {
        ...base,
        outcome: 'cancelled',
        isError: true,
        text: `Proposal ${p.id} was cancelled; nothing was done.`,
      };
    case 'failed': {
      const err = p.error ? `${p.error.code}: ${clip(p.error.message)}` : 'no details';
      const timedOut = httpStatus === 504 || p.error?.code === 'EXEC_TIMEOUT';
      return {
        ...base,
        reason: err,
        outcome: 'failed',
        isError: true,
        text:
          `The request was allowed but failed when carried out (proposal ${p.id}): ${err}.` +
          (timedOut ? ' It timed out; check whether it took effect before trying again.' : ''),
      };
    }
    case 'outcome_unknown':
      return {
        ...base,
        outcome: 'outcome_unknown',
        isError: true,
        text:
          `The outcome of proposal ${p.id} is unknown: it was interrupted while being carried out (the sidecar ` +
          `stopped, or gog did not finish), so it may have happened. It will not be repeated automatically; check ` +
          `the mailbox before trying again.${p.error ? ` (${p.error.code})` : ''}`,
      };
    default: {
      const never: never = p.status;
      return never;
    }
  }
}

/**
 * Turns an HTTP status and a parsed JSON body from the agent socket into a tool result.
 * INVARIANT: only a well-formed proposal whose status and HTTP code agree can read as success.
 */
export function formatToolResult(httpStatus: number, body: unknown): FormattedResult {
  const proposal = ProposalResponseSchema.safeParse(body);
  if (proposal.success) {
    const p = proposal.data.proposal;
    if (statusMatchesHttp(p.status, httpStatus)) return formatProposal(p, httpStatus);
    return invalidAnswer(httpStatus, `proposal status "${p.status}" does not match HTTP ${httpStatus}`);
  }
  const error = ErrorBodySchema.safeParse(body);
  if (error.success && httpStatus >= 400) {
    const e = error.data.error;
    const advice = ADVICE_BY_STATUS[httpStatus] ?? DEFAULT_ADVICE;
    return {
      outcome: 'rejected_request',
      isError: true,
      httpStatus,
      correlationId: e.correlationId,
      reason: `${e.code}: ${clip(e.message)}`,
      text: `mailwarden refused the request (HTTP ${httpStatus}, ${e.code}): ${clip(e.message)} ${advice}`,
    };
  }
  return invalidAnswer(httpStatus, 'the answer is not a proposal or an error');
}

function invalidAnswer(httpStatus: number, detail: string): FormattedResult {
  return {
    outcome: 'invalid_answer',
    isError: true,
    httpStatus,
    reason: detail,
    text:
      `mailwarden gave an answer the plugin cannot understand (HTTP ${httpStatus}: ${detail}). ` +
      `Treat the request as not done, and tell the user; do not assume it succeeded.`,
  };
}

/** A result for when the sidecar could not be asked at all. */
export function formatClientFailure(failure: ClientFailure): FormattedResult {
  const unsure =
    failure.kind === 'timeout' ||
    failure.kind === 'too_large' ||
    failure.kind === 'not_json' ||
    failure.kind === 'aborted'
      ? ' The request may or may not have been received; check before trying again.'
      : ' Nothing was done.';
  return {
    outcome: failure.kind === 'not_json' || failure.kind === 'too_large' ? 'invalid_answer' : 'unreachable',
    isError: true,
    reason: failure.message,
    text: `mailwarden is not available: ${failure.message}.${unsure}`,
  };
}
