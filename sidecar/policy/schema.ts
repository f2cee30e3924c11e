// The policy file format (policies/*.yaml). Every key accepted here is enforced somewhere.
import { z } from 'zod';
import { ACTION_NAMES, EffectSchema } from '../../shared/index.ts';
import { CalendarPolicySchema, ContentPolicySchema, OutboundPolicySchema } from '../content/index.ts';
import type { CommandTree } from './command-rules.ts';

const CommandTreeSchema: z.ZodType<CommandTree> = z.lazy(() =>
  z.record(
    z.string().regex(/^([a-z0-9-]+|\*)$/i, 'must be a gog command word, "all" or "*"'),
    z.union([z.boolean(), CommandTreeSchema]),
  ),
);

const ACTION_CLASSES = ['read', 'organise', 'write', 'calendar_write'] as const;

/** A matcher: an action path or a prefix of one ("gmail.drafts"), or "class:<class>". */
export const MatcherSchema = z.string().refine(
  (m) => {
    if (m.startsWith('class:')) return (ACTION_CLASSES as readonly string[]).includes(m.slice(6));
    return ACTION_NAMES.some((a) => a === m || a.startsWith(`${m}.`));
  },
  {
    message: `must be an action (e.g. gmail.send), a prefix of one (e.g. gmail.drafts) or class:${ACTION_CLASSES.join('|class:')}`,
  },
);

export const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be 1-64 lower-case letters, digits and _.-'),
  match: z.union([MatcherSchema, z.array(MatcherSchema).min(1)]),
  effect: EffectSchema,
  message: z.string().min(1).max(500).optional(),
});
export type Rule = z.infer<typeof RuleSchema>;

const QuorumSchema = z.number().int().min(1).max(10);

export const ApprovalPolicySchema = z
  .strictObject({
    /** Distinct approvers needed per action class. */
    quorum: z
      .strictObject({
        read: QuorumSchema.default(1),
        organise: QuorumSchema.default(1),
        write: QuorumSchema.default(1),
        calendar_write: QuorumSchema.default(1),
      })
      .prefault({}),
    /** How long a proposal may wait for approval before it expires. */
    ttlSeconds: z
      .number()
      .int()
      .min(10)
      .max(7 * 24 * 3600)
      .default(3600),
    /** After quorum, how long execution may still start; past it the proposal expires unexecuted. */
    executionWindowSeconds: z.number().int().min(1).max(3600).default(300),
    /** Approver ids allowed to decide; empty means every approver in the config. */
    approvers: z.array(z.string().min(1)).default([]),
  })
  .prefault({});

export const LockdownPolicySchema = z
  .strictObject({
    /** Denials of one principal within the window that trigger an automatic lockdown; 0 disables it. */
    denialThreshold: z.number().int().min(0).max(10_000).default(10),
    windowSeconds: z.number().int().min(1).max(86_400).default(600),
    /** Whether an automatic lockdown stops only the offending principal or everyone. */
    scope: z.enum(['principal', 'global']).default('principal'),
    /** Whether read actions still run during a lockdown. */
    allowReads: z.boolean().default(false),
  })
  .prefault({});

export const PolicyBaseShape = {
  version: z.literal(1, 'must be 1'),
  name: z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be lower-case letters, digits and _'),
  description: z.string().max(2000).optional(),
  commands: CommandTreeSchema.optional(),
  rules: z.array(RuleSchema).default([]),
  default: EffectSchema.default('deny'),
  approvals: ApprovalPolicySchema,
  lockdown: LockdownPolicySchema,
  /** What the agent may see of the mailbox: security mail, lookback, threads, attachments, untrusted marking. */
  content: ContentPolicySchema.prefault({}),
  /** Who mail may go to: allowlists, reply-only, recipient count, send caps, exfiltration guard. */
  outbound: OutboundPolicySchema.prefault({}),
  /** Calendar read window, visible fields, and whether (and how) calendar writes happen. */
  calendar: CalendarPolicySchema.prefault({}),
};

export const PolicySchema = z.strictObject(PolicyBaseShape).superRefine((p, ctx) => {
  const seen = new Set<string>();
  p.rules.forEach((r, i) => {
    if (seen.has(r.id))
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
    seen.add(r.id);
  });
});
export type Policy = z.infer<typeof PolicySchema>;
