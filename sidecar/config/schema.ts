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
});

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
        seconds: z.number().int().min(1).default(300),
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
  log: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type AgentEntry = z.infer<typeof AgentEntrySchema>;
export type ApproverEntry = z.infer<typeof ApproverEntrySchema>;
