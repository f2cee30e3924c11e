// The MCP stdio server flavour of the plugin.
export type { McpServerOptions } from './server.ts';
export { createMailwardenMcpServer } from './server.ts';
