// The sidecar's one configuration file (mailwarden.yaml): every key, its default and its meaning.
import { z } from 'zod';
import { AddressSchema } from '../../shared/index.ts';

const PathSchema = z.string().min(1, 'must be a path');
const ModeSchema = z
  .string()
  .regex(/^0[0-7]{3}$/, 'must be an octal file mode in quotes, e.g. "0660"')
  .transform((s) => Number.parseInt(s, 8));
const PrincipalIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1-64 lower-case letters, digits and _.- (e.g. "openclaw-main")');

export const AgentEntrySchema = z.strictObject({
  id: PrincipalIdSchema,
  keyHash: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 hex digits (run `mailwarden keygen --agent`)'),
});

export const ApproverEntrySchema = z.strictObject({
  id: PrincipalIdSchema,
  /** Ed25519 public key (SPKI PEM file) for the default EdDSA mode. */
  publicKey: PathSchema.optional(),
  /** Shared secret file, only in the weaker `hs256` mode. */
  secret: PathSchema.optional(),
  /** An enrolled passkey (JSON written by `mailwarden approver add --webauthn`); decides from the console. */
  webauthn: PathSchema.optional(),
});

const NotifySinkBase = {
  /** Names the sink in evidence, logs and posture. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1-64 lower-case letters, digits and _.- (e.g. "phone")'),
  /** Which events the sink receives; today `approval_pending` (a proposal waits for an approver). */
  events: z
    .array(z.enum(['approval_pending']))
    .min(1)
    .default(['approval_pending']),
};
const HttpUrlSchema = z
  .string()
  .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
  .refine((u) => URL.canParse(u), 'must be a valid URL');

export const NotifySinkSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...NotifySinkBase,
    kind: z.literal('command'),
    /** Program and arguments, no shell; the payload arrives as JSON on stdin. */
    argv: z.array(z.string().min(1)).min(1, 'must name a program (an absolute path), e.g. ["/usr/bin/notify-send"]'),
  }),
  z.strictObject({
    ...NotifySinkBase,
    kind: z.literal('webhook'),
    url: HttpUrlSchema,
    /** File holding the HMAC-SHA256 key (at least 32 bytes, base64) that signs every body. */
    secretFile: PathSchema,
  }),
  z.strictObject({
    ...NotifySinkBase,
    kind: z.literal('ntfy'),
    /** The full topic URL on an ntfy server, e.g. https://ntfy.example.org/mailwarden-6f1c2b. */
    url: HttpUrlSchema,
    /** Optional file holding an ntfy access token (sent as a Bearer token). */
    tokenFile: PathSchema.optional(),
  }),
]);

export const ConfigSchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  policy: PathSchema,
  paths: z.strictObject({
    runtimeDir: PathSchema,
    stateDir: PathSchema,
    evidenceDir: PathSchema,
  }),
  sockets: z
    .strictObject({
      agentMode: ModeSchema.default(0o660),
      agentGroup: z.string().min(1).optional(),
      operatorMode: ModeSchema.default(0o600),
    })
    .prefault({}),
  agents: z.array(AgentEntrySchema).min(1, 'must list at least one agent (run `mailwarden keygen --agent`)'),
  agent: z
    .strictObject({
      user: z.string().min(1).optional(),
      group: z.string().min(1).optional(),
      /**
       * The operator's statement that the agent has no direct path to Gmail (no Google credentials, no gog
       * of its own), with a reference to the evidence record or ticket that shows it was checked.
       */
      bypassAttestation: z
        .strictObject({
          evidenceRef: z.string().min(3).max(512),
          attestedBy: z.string().min(1).max(128),
        })
        .optional(),
    })
    .prefault({}),
  gog: z.strictObject({
    backend: z.enum(['fake', 'gog']),
    binary: PathSchema,
    home: PathSchema,
    account: AddressSchema,
    /** File holding gog's file-keyring password (GOG_KEYRING_PASSWORD) for headless Linux hosts. */
    keyringPasswordFile: PathSchema.optional(),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    maxOutputBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(16 * 1024 * 1024),
  }),
  approvals: z
    .strictObject({
      mode: z.enum(['eddsa', 'hs256']).default('eddsa'),
      approvers: z.array(ApproverEntrySchema).default([]),
      maxClockSkewSeconds: z.number().int().min(0).max(600).default(60),
    })
    .prefault({}),
  evidence: z.strictObject({
    signingKey: PathSchema,
    publicKey: PathSchema,
    blindingKey: PathSchema,
    origin: z.string().min(1).optional(),
    checkpoint: z
      .strictObject({
        records: z.number().int().min(1).default(1000),
        seconds: z.number().int().min(1).default(60),
      })
      .prefault({}),
    rotate: z
      .strictObject({
        maxBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(64 * 1024 * 1024),
      })
      .prefault({}),
    export: z
      .strictObject({ dir: PathSchema.optional(), command: z.array(z.string().min(1)).min(1).optional() })
      .optional(),
  }),
  tokens: z
    .strictObject({
      signingKey: PathSchema.optional(),
      ttlSeconds: z.number().int().min(10).max(3600).default(120),
      /** When true the raw agent key is accepted only by POST /v1/auth/token. */
      requireTokens: z.boolean().default(false),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxBodyBytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(2 * 1024 * 1024),
      requestsPerMinute: z.number().int().min(1).max(1_000_000).default(600),
      maxWaitSeconds: z.number().int().min(0).max(600).default(120),
    })
    .prefault({}),
  notify: z
    .strictObject({
      sinks: z.array(NotifySinkSchema).default([]),
      /** The console's address as the owner's phone reaches it; notifications link to the card there. */
      consoleUrl: HttpUrlSchema.optional(),
      /** Opt-in: put the mail's subject in the notification (off by default: no mail content leaves). */
      includeSubject: z.boolean().default(false),
      /** Delivery attempts per notification and sink, the first included. */
      attempts: z.number().int().min(1).max(10).default(4),
      /** Wait before the first retry; each further retry waits twice as long. */
      backoffMs: z.number().int().min(10).max(600_000).default(2000),
      /** A single attempt that takes longer is abandoned (a hanging sink never holds anything else). */
      timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type AgentEntry = z.infer<typeof AgentEntrySchema>;
export type ApproverEntry = z.infer<typeof ApproverEntrySchema>;
export type NotifySink = z.infer<typeof NotifySinkSchema>;
export type NotifyConfig = Config['notify'];
