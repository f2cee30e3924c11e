// What plugin and sidecar share: the action catalogue, wire schemas, canonical JSON and hashing.

export type {
  ActionClass,
  ActionName,
  ActionParams,
  ActionResult,
  ActionSpec,
  ActionToolName,
  Reach,
} from './actions.ts';
export {
  ACTION_CLASS,
  ACTION_DESCRIPTIONS,
  ACTION_NAMES,
  ACTION_RESULT_SCHEMAS,
  ACTIONS,
  ActionNameSchema,
  ActionParamSchemas,
  AddressListSchema,
  AddressSchema,
  IdSchema,
  isActionName,
  OUTBOUND_ACTIONS,
  ResultSchemas,
  SEND_ACTIONS,
  TimeSchema,
  wellFormedText,
} from './actions.ts';
export { CanonicalJsonError, canonicalize } from './canonical-json.ts';
export type { ErrorCode, ErrorHttpStatus, IssueWording } from './errors.ts';
export {
  ADVICE_BY_STATUS,
  DEFAULT_ADVICE,
  describeIssue,
  ERROR_STATUS,
  httpStatusOf,
  isErrorCode,
  PROPOSAL_HTTP_STATUSES,
  submissionHttpStatus,
} from './errors.ts';
export type { Sha256Digest } from './hash.ts';
export { canonicalDigest, isSha256Digest, sha256Digest, sha256Hex } from './hash.ts';
export type { CalendarEvent, Message } from './results.ts';
export { AttachmentMetaSchema, EventSchema, MessageSchema, ThreadSummarySchema } from './results.ts';
export type {
  CatalogResponse,
  DecisionPayload,
  DecisionView,
  Effect,
  ErrorBody,
  Health,
  LockdownPayload,
  Posture,
  PostureCheck,
  ProposalRequest,
  ProposalRequestWire,
  ProposalResponse,
  ProposalStatus,
  ProposalView,
  Session,
} from './wire.ts';
export {
  API_VERSION,
  CatalogEntrySchema,
  CatalogResponseSchema,
  DecisionBodySchema,
  DecisionPayloadSchema,
  DecisionViewSchema,
  EffectSchema,
  ErrorBodySchema,
  FINAL_STATUSES,
  HealthSchema,
  LockdownPayloadSchema,
  PasskeyStatementSchema,
  PostureCheckSchema,
  PostureSchema,
  ProposalErrorSchema,
  ProposalRequestSchema,
  ProposalResponseSchema,
  ProposalStatusSchema,
  ProposalViewSchema,
  SessionSchema,
  SignedStatementSchema,
  TokenResponseSchema,
} from './wire.ts';
