// What the console expects back from operator.sock: answers are parsed here before anything reaches a browser.
import { z } from 'zod';

export const ProposalListAnswerSchema = z.object({
  proposals: z.array(
    z.object({
      id: z.string(),
      hash: z.string(),
      action: z.string(),
      status: z.string(),
      principal: z.string().optional(),
      decision: z.object({ effect: z.string(), rules: z.array(z.string()), message: z.string() }),
      createdAt: z.string(),
      expiresAt: z.string().optional(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
  lockdowns: z.array(z.object({ scope: z.string(), reason: z.string(), since: z.string(), actor: z.string() })),
});

/** The card is shown as the sidecar built it; the browser puts every value in the page as text. */
export const CardAnswerSchema = z.object({ card: z.record(z.string(), z.unknown()) });

export const DecisionAnswerSchema = z.object({
  outcome: z.string(),
  proposal: z.object({ id: z.string(), status: z.string(), hash: z.string() }).optional(),
});

export const LockdownAnswerSchema = z.object({ lockdown: z.boolean(), scope: z.string() });
