// The one value the entry imports from the host's plugin SDK, typed here as the slice the plugin uses so the
// product does not depend on openclaw. scripts/openclaw/check-host-types.sh checks the entry against the
// real SDK's own types of the installed host instead of this file.
declare module 'openclaw/plugin-sdk/plugin-entry' {
  import type { HostPluginApi } from './host-types.ts';

  interface PluginEntryOptions {
    id: string;
    name: string;
    description: string;
    configSchema?: { safeParse(value: unknown): unknown; jsonSchema?: Record<string, unknown> };
    register(api: HostPluginApi): void;
  }
  export function definePluginEntry(options: PluginEntryOptions): PluginEntryOptions;
}
