// The slice of OpenClaw's plugin API this plugin uses, written structurally so no runtime import from the host is needed.

export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Trusted per-run context OpenClaw hands to tool factories (never tool arguments). */
export interface HostToolContext {
  readonly sessionId?: string;
  readonly sessionKey?: string;
  readonly agentId?: string;
}

export interface HostToolResult {
  content: Array<{ type: 'text'; text: string }>;
  details: { mailwarden: Record<string, unknown> };
}

export interface HostTool {
  name: string;
  label: string;
  description: string;
  parameters: Record<string, unknown>;
  execute(toolCallId: string, params: unknown, signal?: AbortSignal): Promise<HostToolResult>;
}

export type HostToolFactory = (ctx: HostToolContext) => HostTool | null | undefined;

export interface HostPluginApi {
  readonly pluginConfig?: unknown;
  readonly logger?: HostLogger;
  registerTool(tool: HostTool | HostToolFactory, opts?: { name?: string; optional?: boolean }): void;
}
