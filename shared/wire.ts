// Wire schemas of the agent and operator sockets: what plugins send and what the sidecar answers.
import { z } from 'zod';
import {
  ACTION_NAMES,
  ACTIONS,
  type ActionName,
  ActionNameSchema,
  type ActionParams,
  wellFormedText,
} from './actions.ts';

export const API_VERSION = 'v1';

export const ProposalStatusSchema = z.enum([
  'executed',
  'failed',
  'denied',
  'pending_approval',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'outcome_unknown',
]);
export type ProposalStatus = z.infer<typeof ProposalStatusSchema>;

/** Statuses from which a proposal never moves again. */
export const FINAL_STATUSES: ReadonlySet<ProposalStatus> = new Set([
  'executed',
  'failed',
  'denied',
  'rejected',
  'expired',
  'cancelled',
  'outcome_unknown',
]);

export const EffectSchema = z.enum(['allow', 'approve', 'deny']);
export type Effect = z.infer<typeof EffectSchema>;

const CorrelationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 characters of letters, digits and _.:-');

export const SessionSchema = z.strictObject({
  id: wellFormedText(256).min(1),
  runtime: wellFormedText(64).min(1),
  toolCallId: wellFormedText(256).min(1).optional(),
});
export type Session = z.infer<typeof SessionSchema>;

const requestFields = {
  justification: wellFormedText(4096).optional(),
  session: SessionSchema.optional(),
  correlationId: CorrelationIdSchema.optional(),
};

/** A validated `POST /v1/proposals` body: one member per action, its params typed by the action's own schema. */
export type ProposalRequest = {
  [A in ActionName]: {
    action: A;
    params: ActionParams<A>;
    justification?: string | undefined;
    session?: Session | undefined;
    correlationId?: string | undefined;
  };
}[ActionName];

/** What a client sends before validation (plugins build it from a tool call whose params they checked). */
export type ProposalRequestWire = Omit<ProposalRequest, 'action' | 'params'> & {
  action: ActionName;
  params: Record<string, unknown>;
};

/**
 * Body of `POST /v1/proposals`, validated once at the edge: the action picks the params schema, so what
 * passes is a typed proposal request and nothing after this point checks the params again.
 */
export const ProposalRequestSchema = z.discriminatedUnion(
  'action',
  ACTION_NAMES.map((action) =>
    z.strictObject({ action: z.literal(action), params: ACTIONS[action].params, ...requestFields }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'must be an action of the catalogue (see GET /v1/catalog)' : undefined,
  },
) as unknown as z.ZodType<ProposalRequest>;

export const DecisionViewSchema = z.object({
  effect: EffectSchema,
  rules: z.array(z.string()),
  message: z.string(),
});
export type DecisionView = z.infer<typeof DecisionViewSchema>;

export const ProposalErrorSchema = z.object({ code: z.string(), message: z.string() });

export const ProposalViewSchema = z.object({
  id: z.string(),
  hash: z.string(),
  action: ActionNameSchema,
  status: ProposalStatusSchema,
  decision: DecisionViewSchema,
  createdAt: z.string(),
  expiresAt: z.string().optional(),
  result: z.unknown().optional(),
  error: ProposalErrorSchema.optional(),
  correlationId: z.string(),
});
export type ProposalView = z.infer<typeof ProposalViewSchema>;

export const ProposalResponseSchema = z.object({ proposal: ProposalViewSchema });
export type ProposalResponse = z.infer<typeof ProposalResponseSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), correlationId: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export const HealthSchema = z.object({ status: z.enum(['ok', 'lockdown']), version: z.string() });
export type Health = z.infer<typeof HealthSchema>;

export const TokenResponseSchema = z.object({ token: z.string(), expiresAt: z.string() });

export const CatalogEntrySchema = z.object({
  action: ActionNameSchema,
  class: z.enum(['read', 'organise', 'write', 'calendar_write']),
  description: z.string(),
  effect: EffectSchema,
  paramsSchema: z.record(z.string(), z.unknown()),
});
export const CatalogResponseSchema = z.object({ actions: z.array(CatalogEntrySchema) });
export type CatalogResponse = z.infer<typeof CatalogResponseSchema>;

/** Payload of an operator's signed decision (compact JWS). */
export const DecisionPayloadSchema = z.strictObject({
  proposalId: z.string().min(1).max(128),
  proposalHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 hex digits'),
  approver: z.string().min(1).max(128),
  decision: z.enum(['approve', 'reject']),
  nonce: z.string().min(16).max(128),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type DecisionPayload = z.infer<typeof DecisionPayloadSchema>;

/** Payload of an operator's signed lockdown statement. */
export const LockdownPayloadSchema = z.strictObject({
  lockdown: z.boolean(),
  /** Optional: "global" (the default) or "principal:<agent id>". */
  scope: z
    .string()
    .regex(/^(global|principal:[a-z0-9][a-z0-9_.-]{0,63})$/, 'must be "global" or "principal:<agent id>"')
    .optional(),
  reason: z.string().min(1).max(1024),
  approver: z.string().min(1).max(128),
  nonce: z.string().min(16).max(128),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type LockdownPayload = z.infer<typeof LockdownPayloadSchema>;

export const SignedStatementSchema = z.strictObject({ jws: z.string().min(1).max(16_384) });
/** A decision made with a passkey: the browser's WebAuthn assertion (AuthenticationResponseJSON). */
export const PasskeyStatementSchema = z.strictObject({ webauthn: z.record(z.string(), z.unknown()) });
/** The body of POST /v1/proposals/:id/decisions: a signed statement, or a passkey assertion. */
export const DecisionBodySchema = z.union([SignedStatementSchema, PasskeyStatementSchema]);

export const PostureCheckSchema = z.object({
  id: z.string(),
  status: z.enum(['pass', 'warn', 'fail', 'unknown']),
  summary: z.string(),
  fix: z.string().optional(),
});
export const PostureSchema = z.object({
  mode: z.enum(['hard_enforcement_ready', 'advisory', 'cannot_determine']),
  checks: z.array(PostureCheckSchema),
});
export type Posture = z.infer<typeof PostureSchema>;
export type PostureCheck = z.infer<typeof PostureCheckSchema>;
