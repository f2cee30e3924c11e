// One error vocabulary for sidecar and plugins: every code an answer may carry, its HTTP status, the advice a
// plugin gives the agent, which HTTP statuses a proposal may arrive with, and one way to word a schema issue.
import type { z } from 'zod';
import type { ProposalStatus } from './wire.ts';

/** Every code in an error body (`{"error": {"code", …}}`) and the HTTP status it is answered with. */
export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  TOKEN_REQUIRED: 401,
  APPROVAL_REFUSED: 403,
  NOT_FOUND: 404,
  NOT_PENDING: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  POLICY_EVALUATION_FAILED: 500,
  STATE_TAMPERED: 500,
  EVIDENCE_TAMPERED: 500,
  EVIDENCE_UNAVAILABLE: 503,
  STATE_BUSY: 503,
  STATE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorHttpStatus = (typeof ERROR_STATUS)[ErrorCode];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/** The HTTP status of an error code; a code outside the vocabulary is an internal error. */
export function httpStatusOf(code: string): ErrorHttpStatus {
  return isErrorCode(code) ? ERROR_STATUS[code] : 500;
}

/** What an agent should do after an error answer, by HTTP status (a newer sidecar may add codes). */
export const ADVICE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'Fix the parameters and call again.',
  401: "The plugin's agent key was not accepted: the owner must fix the plugin configuration. Do not retry.",
  404: 'The proposal does not exist or belongs to someone else.',
  413: 'The request is too large; send less.',
  429: 'Too many requests: wait a while before trying again.',
};
export const DEFAULT_ADVICE = 'Nothing was done; try again later or tell the user.';

/**
 * The HTTP statuses a proposal answer may carry in each state: the status of a submission's answer, and
 * 200 for any later read. Clients trust no other pairing.
 */
export const PROPOSAL_HTTP_STATUSES: Readonly<Record<ProposalStatus, readonly number[]>> = {
  executed: [200],
  pending_approval: [200, 202],
  denied: [200, 403],
  failed: [200, 502, 504],
  approved: [200, 502, 504],
  rejected: [200, 502, 504],
  expired: [200, 502, 504],
  cancelled: [200, 502, 504],
  outcome_unknown: [200, 502, 504],
};

/** HTTP status of a proposal answer right after submission, as the contract fixes it. */
export function submissionHttpStatus(status: ProposalStatus, errorCode?: string): 200 | 202 | 403 | 502 | 504 {
  switch (status) {
    case 'executed':
      return 200;
    case 'pending_approval':
      return 202;
    case 'denied':
      return 403;
    case 'failed':
    case 'outcome_unknown':
      return errorCode === 'GOG_TIMEOUT' ? 504 : 502;
    default:
      return 200;
  }
}

export interface IssueWording {
  /** Where the checked value sits, e.g. "params" or "payload"; the issue's own path follows it. */
  readonly root?: string;
  /** Said after unknown keys, e.g. "see GET /v1/catalog". */
  readonly unknownKeysHint?: string;
}

/**
 * The first schema issue as "field: what is wrong", the form every 400 answer and CLI error uses. Unknown
 * keys are named, with how to find the right ones.
 */
export function describeIssue(error: z.ZodError, wording: IssueWording = {}): { field: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: wording.root ?? 'body', message: `${wording.root ?? 'body'}: is invalid` };
  const field = [...(wording.root === undefined ? [] : [wording.root]), ...issue.path.map(String)].join('.') || 'body';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    const hint = wording.unknownKeysHint === undefined ? 'remove them' : `remove them (${wording.unknownKeysHint})`;
    return { field, message: `${field}: unknown key(s) ${keys}; ${hint}` };
  }
  return { field, message: `${field}: ${issue.message}` };
}
