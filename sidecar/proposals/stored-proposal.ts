// The proposal as stored and hashed: exactly what gets executed, in RFC 8785 canonical bytes.
import { z } from 'zod';
import {
  type ActionName,
  ActionNameSchema,
  ActionParamSchemas,
  canonicalize,
  type Session,
  SessionSchema,
  type Sha256Digest,
  sha256Digest,
} from '../../shared/index.ts';

export const StoredProposalSchema = z.strictObject({
  v: z.literal(1),
  id: z.string(),
  principal: z.string(),
  action: ActionNameSchema,
  params: z.record(z.string(), z.unknown()),
  justification: z.string().optional(),
  session: SessionSchema.optional(),
  correlationId: z.string(),
  createdAt: z.string(),
});
export type StoredProposal = z.infer<typeof StoredProposalSchema>;

export interface SealedProposal {
  readonly proposal: StoredProposal;
  readonly canonical: string;
  readonly hash: Sha256Digest;
}

export function sealProposal(p: StoredProposal): SealedProposal {
  const canonical = canonicalize(p);
  return { proposal: p, canonical, hash: sha256Digest(canonical) };
}

export type UnsealResult = { ok: true; proposal: StoredProposal } | { ok: false; reason: string };

/**
 * Re-read stored canonical bytes for execution. INVARIANT: the bytes must hash to the hash that
 * was shown, approved and recorded; anything else is treated as tampering, never executed.
 */
export function unsealProposal(canonical: string, expectedHash: string): UnsealResult {
  if (sha256Digest(canonical) !== expectedHash)
    return { ok: false, reason: 'stored bytes do not match the proposal hash' };
  let data: unknown;
  try {
    data = JSON.parse(canonical);
  } catch {
    return { ok: false, reason: 'stored bytes are not JSON' };
  }
  const parsed = StoredProposalSchema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: 'stored proposal does not match its schema' };
  if (canonicalize(parsed.data) !== canonical) return { ok: false, reason: 'stored bytes are not canonical' };
  const params = ActionParamSchemas[parsed.data.action].safeParse(parsed.data.params);
  if (!params.success) return { ok: false, reason: 'stored parameters no longer validate' };
  return { ok: true, proposal: parsed.data };
}

export function paramsOf<A extends ActionName>(
  p: StoredProposal & { action: A },
): z.infer<(typeof ActionParamSchemas)[A]> {
  return ActionParamSchemas[p.action].parse(p.params) as z.infer<(typeof ActionParamSchemas)[A]>;
}

export type { Session };
