#!/usr/bin/env bash
# Type-checks the OpenClaw entry against the real host's SDK types (`import type` only), without making
# openclaw a dependency of the product: usage check-host-types.sh OPENCLAW_PACKAGE_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SDK="${1:?usage: check-host-types.sh OPENCLAW_PACKAGE_DIR}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mailwarden-openclaw-types.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/check.ts" <<TS
import type {
  AnyAgentTool,
  definePluginEntry,
  OpenClawPluginApi,
  OpenClawPluginToolContext,
} from 'openclaw/plugin-sdk/plugin-entry';
import type { HostPluginApi, HostTool, HostToolContext } from '$ROOT/plugin/openclaw/src/host-types.ts';
import plugin from '$ROOT/plugin/openclaw/src/index.ts';

// The host's API must fit the slice the plugin uses, its tools must be host tools, and the entry what the
// SDK's definePluginEntry returns (index.ts itself is compiled against the real SDK here, not its stand-in types).
export const api = (a: OpenClawPluginApi): HostPluginApi => a;
export const context = (c: OpenClawPluginToolContext): HostToolContext => c;
export const tool = (t: HostTool): AnyAgentTool => t;
export const definition: ReturnType<typeof definePluginEntry> = plugin;
TS
cat >"$WORK/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "exactOptionalPropertyTypes": true, "noEmit": true, "skipLibCheck": true,
    "allowImportingTsExtensions": true, "types": ["node"], "typeRoots": ["$ROOT/node_modules/@types"],
    "paths": { "openclaw/*": ["$SDK/dist/*.d.ts", "$SDK/dist/*"] }
  },
  "files": ["check.ts"]
}
JSON
"$ROOT/node_modules/.bin/tsc" -p "$WORK/tsconfig.json"
