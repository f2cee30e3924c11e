// The proposal as stored and hashed: exactly what gets executed, in RFC 8785 canonical bytes.
import { z } from 'zod';
import {
  ACTION_NAMES,
  ACTIONS,
  type ActionName,
  type ActionParams,
  canonicalize,
  type Session,
  SessionSchema,
  type Sha256Digest,
  sha256Digest,
} from '../../shared/index.ts';

const storedFields = {
  v: z.literal(1),
  id: z.string(),
  principal: z.string(),
  justification: z.string().optional(),
  session: SessionSchema.optional(),
  correlationId: z.string(),
  createdAt: z.string(),
  bound: z.strictObject({ draftDigest: z.string() }).optional(),
};

/** A proposal's action and its params, typed together: narrowing the action narrows the params. */
export type TypedAction = { [A in ActionName]: { action: A; params: ActionParams<A> } }[ActionName];

export type StoredProposal = TypedAction & {
  v: 1;
  id: string;
  principal: string;
  justification?: string | undefined;
  session?: Session | undefined;
  correlationId: string;
  createdAt: string;
  /**
   * Content the action will carry that is not in its params, sealed into the hash the owner approves:
   * for `gmail.drafts.send`, the digest of the draft as gog held it when the send was decided.
   */
  bound?: { draftDigest: string } | undefined;
};

/** The stored form, one member per action: reading it back from state checks the params once more. */
export const StoredProposalSchema = z.discriminatedUnion(
  'action',
  ACTION_NAMES.map((action) =>
    z.strictObject({ ...storedFields, action: z.literal(action), params: ACTIONS[action].params }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<StoredProposal>;

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
  // The params are checked with the proposal: state is outside the sidecar's memory, so what comes back from
  // it is checked once more, whatever its hash.
  const parsed = StoredProposalSchema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: 'stored proposal or its parameters do not validate' };
  if (canonicalize(parsed.data) !== canonical) return { ok: false, reason: 'stored bytes are not canonical' };
  return { ok: true, proposal: parsed.data };
}

export type { Session };
