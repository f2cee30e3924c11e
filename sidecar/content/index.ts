// Content and outbound controls: security-mail filtering, read bounds, untrusted marking, outbound guard, send caps.

export type { AddressOptions, ParsedAddress } from './address.ts';
export { extractAddresses, parseAddress } from './address.ts';
export { htmlToText, looksLikeHtml } from './html-text.ts';
export type { FilteredMessage, FilterOptions, SubjectView } from './message-filter.ts';
export {
  attachmentAllowed,
  attachmentRefusal,
  filterMessage,
  subjectView,
  WITHHELD_SUBJECT,
} from './message-filter.ts';
export type {
  CalendarWriteVerdict,
  OutboundInput,
  OutboundSession,
  OutboundVerdict,
} from './outbound-check.ts';
export { checkCalendarWrite, checkOutbound } from './outbound-check.ts';
export type { CalendarPolicy, CapsPolicy, ContentPolicy, OutboundPolicy } from './policy-schema.ts';
export { CalendarPolicySchema, ContentPolicySchema, OutboundPolicySchema } from './policy-schema.ts';
export { stripQuotedHistory } from './quoted-history.ts';
export type { CalendarWindow } from './read-bounds.ts';
export { calendarBounds, clampCalendarWindow, clampMax, clampSearchQuery, lookbackCutoff } from './read-bounds.ts';
export type {
  DerivedRecipient,
  OriginalMessage,
  RecipientSource,
  Recipients,
  Standing,
  StandingPolicy,
} from './recipients.ts';
export { deriveRecipients, judgeRecipient, standingOf } from './recipients.ts';
export type { FilteredResult, ResultPolicy } from './result-filter.ts';
export { filterResult } from './result-filter.ts';
export type { FindOptions, SecurityKind, SecurityMatch, SecurityVerdict } from './security-mail.ts';
export {
  applyRedactions,
  detectSecurityMail,
  findSecrets,
  marker,
  maskSecrets,
  SECRET_LABEL,
  SECURITY_KINDS,
} from './security-mail.ts';
export type { ReserveResult, SendCaps, SendCapsOptions, StaleReservation } from './send-caps.ts';
export { createSendCaps, SEND_CAPS_MIGRATION } from './send-caps.ts';
export type { SessionTaint } from './session-taint.ts';
export { emptyTaint, mergeTaint, noteRead, shingles } from './session-taint.ts';
export { neutraliseMarkers, wrapUntrusted } from './untrusted.ts';
