#!/usr/bin/env bash
# End to end: the mailwarden MCP server driven by a second, independent MCP client, the MCP Inspector's
# command-line mode (its own client library, not the SDK the server uses), against a real sidecar.
# Checks the tool list for portability (--strict), structured results, truthful annotations, a policy
# refusal with its reason, and that an agent cannot name another socket.
#
# Usage: scripts/mcp-e2e.sh            (idempotent; caches the Inspector under .cache/mcp-inspector/)
# Env:   MAILWARDEN_E2E_INSPECTOR=2.12.0   @modelcontextprotocol/inspector version
# Exit:  0 pass, 1 fail, 75 the client could not be installed (nothing about mailwarden was tested).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INSPECTOR_VERSION="${MAILWARDEN_E2E_INSPECTOR:-2.12.0}"
CACHE="$ROOT/.cache/mcp-inspector"
STARTED=$(date +%s)

log() { printf '[mcp-e2e %4ss] %s\n' "$(($(date +%s) - STARTED))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
unavailable() { log "UNAVAILABLE: $*"; exit 75; }

# shellcheck source=scripts/host-node.sh
. "$ROOT/scripts/host-node.sh"
# The Inspector needs Node >= 22.19; the Node 24 the OpenClaw check uses is shared.
ensure_node24 "$ROOT/.cache/openclaw"

HOST="$CACHE/inspector-$INSPECTOR_VERSION"
INSPECTOR="$HOST/node_modules/.bin/mcp-inspector"
if [ ! -x "$INSPECTOR" ]; then
  log "installing @modelcontextprotocol/inspector@$INSPECTOR_VERSION into .cache/mcp-inspector"
  rm -rf "$HOST.tmp" && mkdir -p "$HOST.tmp"
  echo '{"name":"mailwarden-e2e-mcp-client","private":true}' >"$HOST.tmp/package.json"
  # No install scripts: only the command-line client is used, not the web UI's native helpers.
  (cd "$HOST.tmp" && PATH="$NODE24_BIN:$PATH" npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
    "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >/dev/null) ||
    unavailable "could not install @modelcontextprotocol/inspector@$INSPECTOR_VERSION from the npm registry"
  rm -rf "$HOST" && mv "$HOST.tmp" "$HOST"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mailwarden-mcp-e2e.XXXXXX")"
SIDECAR_PID=""
cleanup() {
  local status=$?
  if [ -n "$SIDECAR_PID" ] && kill -0 "$SIDECAR_PID" 2>/dev/null; then
    kill -TERM "$SIDECAR_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SIDECAR_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SIDECAR_PID" 2>/dev/null || true
  fi
  [ "$status" -ne 0 ] && [ -f "$WORK/sidecar.log" ] && tail -n 20 "$WORK/sidecar.log" >&2
  if [ "${MAILWARDEN_E2E_KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  log "finished with status $status in $(($(date +%s) - STARTED)) s"
}
trap cleanup EXIT

(cd "$ROOT" && node bin/mailwarden.mjs init --dir "$WORK/mw" --backend fake --profile scoped_execution --json >"$WORK/init.json")
read_init() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(String(j[process.argv[2]]))' "$WORK/init.json" "$1"; }
AGENT_SOCKET="$(read_init agentSocket)"
(umask 077 && read_init agentKey >"$WORK/agent.key")
(cd "$ROOT" && exec node bin/mailwarden.mjs serve --config "$(read_init config)") >"$WORK/sidecar.log" 2>&1 &
SIDECAR_PID=$!
for _ in $(seq 1 100); do [ -S "$AGENT_SOCKET" ] && break; sleep 0.1; done
[ -S "$AGENT_SOCKET" ] || die "the sidecar did not open $AGENT_SOCKET"
log "sidecar up at $AGENT_SOCKET; $("$INSPECTOR" --cli --version 2>/dev/null || echo "inspector $INSPECTOR_VERSION")"

# The server as an MCP client configuration would start it: the repo's node, the launcher, a key file.
SERVER=(node "$ROOT/plugin/mcp/mailwarden-mcp.mjs" --socket "$AGENT_SOCKET" --key-file "$WORK/agent.key" --show-denied)
inspect() {
  local out="$1"
  shift
  set +e
  (cd "$WORK" && HOME="$WORK" PATH="$NODE24_BIN:$PATH" "$INSPECTOR" --cli "${SERVER[@]}" "$@") >"$WORK/$out.json" 2>"$WORK/$out.err"
  local rc=$?
  set -e
  echo "$rc"
}

# tools/list, with the Inspector's schema portability check: exit 6 on any error-severity problem.
rc="$(inspect list --method tools/list --strict)"
[ "$rc" = 0 ] || { cat "$WORK/list.err" >&2; die "tools/list --strict exited $rc"; }
log "tools/list --strict: $(tail -n 1 "$WORK/list.err")"

rc="$(inspect search --method tools/call --tool-name mail_search --tool-arg query=in:inbox --tool-arg max=3)"
[ "$rc" = 0 ] || { cat "$WORK/search.json" "$WORK/search.err" >&2; die "tools/call mail_search exited $rc"; }

rc="$(inspect send --method tools/call --tool-name mail_send --tool-arg 'to=["someone@example.com"]' \
  --tool-arg subject=Hi --tool-arg body=Hello)"
# The Inspector exits 5 when a tool answers isError.
[ "$rc" = 5 ] || { cat "$WORK/send.json" "$WORK/send.err" >&2; die "tools/call mail_send exited $rc, not 5 (isError)"; }

rc="$(inspect socket --method tools/call --tool-name mail_search --tool-arg query=x --tool-arg socketPath=/tmp/evil.sock)"
[ "$rc" = 5 ] || { cat "$WORK/socket.json" "$WORK/socket.err" >&2; die "a socketPath argument was not refused"; }

# The answers, checked field by field.
node - "$WORK" <<'JS' || die "the Inspector's answers do not hold what they should"
const { readFileSync } = require('node:fs');
const dir = process.argv[2];
// The CLI prints the answer, then (for isError) an error line: the first JSON document is the answer.
const read = (name) => {
  const text = readFileSync(`${dir}/${name}.json`, 'utf8');
  const end = text.indexOf('\n}\n');
  return JSON.parse(end >= 0 ? text.slice(0, end + 2) : text);
};
const fail = (what, value) => {
  console.error(`FAIL ${what}: ${JSON.stringify(value).slice(0, 1500)}`);
  process.exit(1);
};
const ok = (cond, what, value) => (cond ? console.error(`ok   ${what}`) : fail(what, value));

const { tools } = read('list');
ok(tools.length === 25, 'tools/list offers every tool (25, --show-denied)', tools.map((t) => t.name));
ok(tools.every((t) => t.outputSchema?.type === 'object' && t.outputSchema.properties?.outcome), 'every tool declares an outputSchema', tools.filter((t) => !t.outputSchema).map((t) => t.name));
const hint = (name) => tools.find((t) => t.name === name)?.annotations ?? {};
ok(hint('mail_search').readOnlyHint === true && hint('mail_search').openWorldHint === true, 'mail_search: read-only, open world', hint('mail_search'));
ok(hint('mail_draft_create').destructiveHint === false, 'mail_draft_create is not destructive', hint('mail_draft_create'));
ok(hint('mail_trash').destructiveHint === true && hint('mail_send').destructiveHint === true, 'trash and send are destructive', [hint('mail_trash'), hint('mail_send')]);

const search = read('search');
ok(!search.isError && search.structuredContent?.outcome === 'executed', 'a read executes with structuredContent', search);
ok(Array.isArray(search.structuredContent.result?.threads) && search.structuredContent.result.threads.length > 0, '...holding the threads', search.structuredContent);

const send = read('send');
ok(send.isError === true && send.structuredContent?.outcome === 'denied', 'a denied send is isError with outcome denied', send);
ok(/does not allow gmail\.send/.test(send.structuredContent.reason) && send.structuredContent.rules?.length > 0, "...with the policy's reason and rules", send.structuredContent);

const socket = read('socket');
ok(socket.isError === true && /socketPath/.test(JSON.stringify(socket.content)), 'a socketPath argument is refused, named', socket);
JS
log "PASS (@modelcontextprotocol/inspector $INSPECTOR_VERSION)"
