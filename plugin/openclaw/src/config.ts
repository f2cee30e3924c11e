// The OpenClaw plugin's configuration (`plugins.entries.mailwarden.config`): the manifest's configSchema is generated from it.
import { z } from 'zod';

export const OpenClawConfigSchema = z.strictObject({
  socketPath: z
    .string()
    .min(1)
    .regex(/^\//, 'must be an absolute path')
    .describe("Absolute path of the mailwarden sidecar's agent socket, e.g. /run/mailwarden/agent.sock."),
  agentKey: z
    .string()
    .min(1)
    .optional()
    .describe('The agent key mailwarden issued for this agent. Prefer agentKeyFile.'),
  agentKeyFile: z
    .string()
    .min(1)
    .regex(/^\//, 'must be an absolute path')
    .optional()
    .describe('Absolute path of a file that holds the agent key (read once at startup).'),
  hideDenied: z
    .boolean()
    .optional()
    .describe('Hide tools whose action the policy denies (default true). Needs the sidecar reachable at startup.'),
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(600_000)
    .optional()
    .describe('Time limit of one request to the sidecar in milliseconds (default 60000).'),
});
export type OpenClawConfig = z.infer<typeof OpenClawConfigSchema>;

export const CONFIG_UI_HINTS = {
  socketPath: { label: 'Agent socket', placeholder: '/run/mailwarden/agent.sock', help: 'Written by mailwarden init.' },
  agentKey: { label: 'Agent key', sensitive: true, help: 'Only one of agentKey and agentKeyFile.' },
  agentKeyFile: { label: 'Agent key file', placeholder: '/home/agent/.config/mailwarden/agent.key' },
  hideDenied: { label: 'Hide denied tools' },
  timeoutMs: { label: 'Request timeout (ms)' },
} as const;

/** The host's config-validation shape: issue paths as strings and numbers only. */
export interface HostConfigParse {
  success: boolean;
  data?: unknown;
  error?: { issues: Array<{ path: Array<string | number>; message: string }> };
}

export function parseConfigForHost(value: unknown): HostConfigParse {
  const parsed = OpenClawConfigSchema.safeParse(value);
  if (parsed.success) return { success: true, data: parsed.data };
  return {
    success: false,
    error: {
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: issue.message,
      })),
    },
  };
}

export function configJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(OpenClawConfigSchema, { io: 'input', target: 'draft-07' });
  return schema;
}
