// What a tool answers besides text, for runtimes that take structure (MCP's outputSchema/structuredContent),
// and the behaviour hints a runtime shows its user, both derived from the action's spec in shared/.
import { z } from 'zod';
import type { ActionName } from '../../shared/index.ts';
import { ACTIONS, ProposalStatusSchema, SEND_ACTIONS } from '../../shared/index.ts';
import type { FormattedResult } from './format-result.ts';
import type { ToolDefinition } from './tool-definitions.ts';

export const ToolOutcomeSchema = z.enum([
  ...ProposalStatusSchema.options,
  'invalid_params',
  'rejected_request',
  'unreachable',
  'invalid_answer',
  'not_configured',
]);

/**
 * What the sidecar's content filter adds to a read's result when it withheld or changed something
 * (one line per change). It is part of every read's answer, not of any one action's shape.
 */
export const ReadNoticesSchema = z
  .array(z.string())
  .optional()
  .describe('What the owner’s content policy withheld or changed in this result.');

function actionResultSchema(action: ActionName): z.ZodType {
  const spec = ACTIONS[action];
  if (spec.class !== 'read') return spec.result;
  if (!(spec.result instanceof z.ZodObject)) throw new Error(`the result of ${action} is not an object schema`);
  return spec.result.extend({ notices: ReadNoticesSchema });
}

/** The envelope of every tool's structured answer; `result` is the action's own result schema. */
export function toolOutputSchema(tool: ToolDefinition): z.ZodObject {
  // The status tool answers for whichever action the proposal was: any of their results.
  const result = tool.kind === 'action' ? actionResultSchema(tool.action) : z.looseObject({});
  return z.object({
    outcome: ToolOutcomeSchema.describe(
      'executed: it ran and result holds its answer; pending_approval: waiting for the owner; anything else: it did not run',
    ),
    proposalId: z.string().optional().describe('Give this to mail_proposal_status to follow the request up.'),
    action: z.string().optional(),
    result: result.optional().describe('The action result, present only when outcome is executed.'),
    reason: z.string().optional().describe("The policy's reason, or what went wrong."),
    rules: z.array(z.string()).optional().describe('The ids of the policy rules that decided.'),
    expiresAt: z.string().optional().describe('When a request waiting for approval expires.'),
  });
}

export type ToolOutput = z.infer<ReturnType<typeof toolOutputSchema>>;

/** The structured answer of one call; it always conforms to the tool's toolOutputSchema. */
export function toolOutput(r: FormattedResult): ToolOutput {
  return {
    outcome: r.outcome,
    ...(r.proposalId !== undefined ? { proposalId: r.proposalId } : {}),
    ...(r.action !== undefined ? { action: r.action } : {}),
    ...(r.outcome === 'executed' && r.result !== null && typeof r.result === 'object' ? { result: r.result } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.rules !== undefined ? { rules: [...r.rules] } : {}),
    ...(r.expiresAt !== undefined ? { expiresAt: r.expiresAt } : {}),
  };
}

export interface ToolHints {
  /** Only looks: reads and the status tool. */
  readonly readOnly: boolean;
  /** Destroys or cannot be called back: deletes, trash and mail that is sent. Other changes only add or relabel. */
  readonly destructive: boolean;
  /** Talks to or carries content from people outside the mailbox: outside-written results, or a reach beyond the owner. */
  readonly openWorld: boolean;
  /** Calling it twice has the effect of calling it once. */
  readonly idempotent: boolean;
}

const DESTROYS = /\.(delete|trash)$/;

export function toolHints(tool: ToolDefinition): ToolHints {
  if (tool.kind === 'status') {
    // A finished read's result comes back through here, with the outside content it carries.
    return { readOnly: true, destructive: false, openWorld: true, idempotent: true };
  }
  const spec = ACTIONS[tool.action];
  return {
    readOnly: spec.class === 'read',
    destructive: DESTROYS.test(tool.action) || SEND_ACTIONS.has(tool.action),
    openWorld: spec.outsideContent || spec.reaches !== 'none',
    idempotent: tool.replaySafe,
  };
}
