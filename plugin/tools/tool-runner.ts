// Runs one tool call: strict parameter check, proposal or status request, answer formatted for the model.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ProposalRequestWire } from '../../shared/wire.ts';
import type { AgentClient } from '../client/agent-client.ts';
import { getProposal, submitProposal } from '../client/sidecar-api.ts';
import type { FormattedResult } from './format-result.ts';
import { formatClientFailure, formatToolResult } from './format-result.ts';
import type { ToolDefinition } from './tool-definitions.ts';
import { findTool, StatusParamsSchema } from './tool-definitions.ts';

export interface ToolCallContext {
  /** The runtime's id of this call, forwarded to the sidecar for the evidence log. */
  readonly toolCallId?: string | undefined;
  /** The runtime's conversation/session id, when it has one. */
  readonly sessionId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ToolRunResult extends FormattedResult {
  readonly tool: string;
}

export interface ToolRunner {
  run(toolName: string, params: unknown, context?: ToolCallContext): Promise<ToolRunResult>;
}

export interface ToolRunnerOptions {
  /** `undefined` when the plugin is not configured: every call then fails closed with `configError`. */
  readonly client: AgentClient | undefined;
  readonly configError?: string;
  /** Runtime name sent in `session.runtime`, e.g. `openclaw`, `hermes`, `mcp`. */
  readonly runtime: string;
  /** Session id used when the runtime gives none: one per plugin instance. */
  readonly fallbackSessionId?: string;
  readonly newCorrelationId?: () => string;
}

const SESSION_FIELD = /^.{1,256}$/s;

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(parameters)';
      if (issue.code === 'unrecognized_keys') return `${path}: unknown parameter(s) ${issue.keys.join(', ')}`;
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

export function createToolRunner(options: ToolRunnerOptions): ToolRunner {
  const fallbackSessionId = options.fallbackSessionId ?? `${options.runtime}-${randomUUID()}`;
  const newCorrelationId = options.newCorrelationId ?? (() => `plg-${randomUUID()}`);

  async function runValidated(tool: ToolDefinition, params: Record<string, unknown>, ctx: ToolCallContext) {
    const client = options.client;
    if (!client) {
      return {
        outcome: 'not_configured',
        isError: true,
        reason: options.configError ?? 'no socket or key',
        text: `The mailwarden plugin is not configured (${options.configError ?? 'no socket or key'}); tell the user. Nothing was done.`,
      } satisfies FormattedResult;
    }
    if (tool.kind === 'status') {
      const status = StatusParamsSchema.parse(params);
      const raw = await getProposal(client, status.proposalId, status.waitSeconds ?? 0, ctx.signal);
      return raw.ok ? formatToolResult(raw.httpStatus, raw.body) : formatClientFailure(raw.failure);
    }
    const { justification, ...actionParams } = params;
    const sessionId = ctx.sessionId && SESSION_FIELD.test(ctx.sessionId) ? ctx.sessionId : fallbackSessionId;
    const session: NonNullable<ProposalRequestWire['session']> =
      ctx.toolCallId && SESSION_FIELD.test(ctx.toolCallId)
        ? { id: sessionId, runtime: options.runtime, toolCallId: ctx.toolCallId }
        : { id: sessionId, runtime: options.runtime };
    const body: ProposalRequestWire = {
      action: tool.action,
      params: actionParams,
      session,
      correlationId: newCorrelationId(),
      ...(typeof justification === 'string' && justification.length > 0 ? { justification } : {}),
    };
    const raw = await submitProposal(client, body, ctx.signal);
    return raw.ok ? formatToolResult(raw.httpStatus, raw.body) : formatClientFailure(raw.failure);
  }

  return {
    async run(toolName, params, ctx = {}) {
      const tool = findTool(toolName);
      if (!tool) {
        return {
          tool: toolName,
          outcome: 'invalid_params',
          isError: true,
          reason: `unknown tool "${toolName}"`,
          text: `Unknown tool "${toolName}".`,
        };
      }
      // SECURITY: strict schemas reject any parameter the action does not define, so no argument can
      // name another socket, URL or key; the client is fixed at construction.
      const parsed = tool.inputSchema.safeParse(params ?? {});
      if (!parsed.success) {
        return {
          tool: tool.name,
          outcome: 'invalid_params',
          isError: true,
          reason: formatIssues(parsed.error),
          text: `Invalid parameters for ${tool.name}: ${formatIssues(parsed.error)}. Nothing was sent; fix them and call again.`,
        };
      }
      try {
        return { tool: tool.name, ...(await runValidated(tool, parsed.data, ctx)) };
      } catch (err) {
        // Fail closed: a bug here must read as "not done", never as success.
        return {
          tool: tool.name,
          outcome: 'unreachable',
          isError: true,
          reason: (err as Error).message,
          text: `The mailwarden plugin failed before getting an answer (${(err as Error).message}). The request may not have been sent; check before trying again.`,
        };
      }
    },
  };
}
