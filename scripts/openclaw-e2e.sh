#!/usr/bin/env bash
# End to end: the mailwarden OpenClaw plugin installed into a real OpenClaw host, its tools invoked through
# the host's own tool pipeline (gateway POST /tools/invoke, no model) against a real mailwarden sidecar.
#
# Usage: scripts/openclaw-e2e.sh            (idempotent; caches Node 24 and OpenClaw under .cache/openclaw/)
# Env:   MAILWARDEN_E2E_OPENCLAW=2026.9.6   OpenClaw version to test against
#        MAILWARDEN_E2E_PROFILE=scoped_execution  policy profile (it has allow, approve and deny actions)
#        MAILWARDEN_E2E_KEEP=1              keep the temporary state directory for inspection
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/openclaw"
OPENCLAW_VERSION="${MAILWARDEN_E2E_OPENCLAW:-2026.9.6}"
PROFILE="${MAILWARDEN_E2E_PROFILE:-scoped_execution}"
STARTED=$(date +%s)

log() { printf '[openclaw-e2e %4ss] %s\n' "$(($(date +%s) - STARTED))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
# EX_TEMPFAIL: the host could not be installed (registry unreachable); nothing about mailwarden was tested.
unavailable() { log "UNAVAILABLE: $*"; exit 75; }

# --- Node >= 24.16 for the host (OpenClaw refuses older); the repo's own node runs mailwarden. ---------
# shellcheck source=scripts/host-node.sh
. "$ROOT/scripts/host-node.sh"
ensure_node24 "$CACHE"
log "host node $("$NODE24_BIN/node" --version)"

# --- OpenClaw, one cached install per version (installed to a temp folder, then moved into place). ----
HOST="$CACHE/openclaw-$OPENCLAW_VERSION"
OPENCLAW="$HOST/node_modules/.bin/openclaw"
if [ ! -x "$OPENCLAW" ]; then
  log "installing openclaw@$OPENCLAW_VERSION into .cache/openclaw (about a minute, ~650 MB)"
  rm -rf "$HOST.tmp" && mkdir -p "$HOST.tmp"
  echo '{"name":"mailwarden-e2e-host","private":true}' >"$HOST.tmp/package.json"
  (cd "$HOST.tmp" && PATH="$NODE24_BIN:$PATH" npm install --omit=dev --no-audit --no-fund --loglevel=error \
    "openclaw@$OPENCLAW_VERSION" >/dev/null) || unavailable "could not install openclaw@$OPENCLAW_VERSION from the npm registry"
  rm -rf "$HOST" && mv "$HOST.tmp" "$HOST"
fi
oc() { PATH="$NODE24_BIN:$PATH" "$OPENCLAW" --no-color "$@"; }

# --- Build the plugin (dist/ is not checked in). -------------------------------------------------------
(cd "$ROOT" && node --import tsx plugin/openclaw/build.ts >/dev/null)
log "built plugin/openclaw/dist/index.js"
"$ROOT/scripts/openclaw/check-host-types.sh" "$HOST/node_modules/openclaw" || die "the entry does not fit OpenClaw's SDK types"
log "entry type-checks against openclaw@$OPENCLAW_VERSION's plugin SDK types"

# --- A temporary world: mailwarden setup, OpenClaw home, logs. -----------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mailwarden-openclaw-e2e.XXXXXX")"
# OpenClaw creates /tmp/openclaw whatever TMPDIR says; remove it afterwards if it is ours and empty.
OPENCLAW_TMP_EXISTED=0
[ -e /tmp/openclaw ] && OPENCLAW_TMP_EXISTED=1
SIDECAR_PID=""
GATEWAY_PID=""
cleanup() {
  local status=$?
  for pid in "$GATEWAY_PID" "$SIDECAR_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [ "$status" -ne 0 ]; then
    for f in "$WORK/sidecar.log" "$WORK/gateway.log"; do
      [ -f "$f" ] && { log "last lines of $f:"; tail -n 30 "$f" >&2; }
    done
  fi
  [ "$OPENCLAW_TMP_EXISTED" = 1 ] || rmdir /tmp/openclaw 2>/dev/null || true
  if [ "${MAILWARDEN_E2E_KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  log "finished with status $status in $(($(date +%s) - STARTED)) s"
}
trap cleanup EXIT

# --- A real sidecar: mailwarden init with the fake gog backend, then serve. ----------------------------
(cd "$ROOT" && node bin/mailwarden.mjs init --dir "$WORK/mw" --backend fake --profile "$PROFILE" --json >"$WORK/init.json")
read_init() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(String(j[process.argv[2]]))' "$WORK/init.json" "$1"; }
AGENT_SOCKET="$(read_init agentSocket)"
CONFIG="$(read_init config)"
APPROVER_KEY="$(read_init approverKey)"
umask 077
read_init agentKey >"$WORK/agent.key"
(cd "$ROOT" && exec node bin/mailwarden.mjs serve --config "$CONFIG") >"$WORK/sidecar.log" 2>&1 &
SIDECAR_PID=$!
for _ in $(seq 1 100); do [ -S "$AGENT_SOCKET" ] && break; sleep 0.1; done
[ -S "$AGENT_SOCKET" ] || die "the sidecar did not open $AGENT_SOCKET"
log "sidecar up (profile $PROFILE) at $AGENT_SOCKET"

# --- OpenClaw with its state in the temporary world only. ----------------------------------------------
export HOME="$WORK/home"
export OPENCLAW_STATE_DIR="$HOME/.openclaw"
# OpenClaw writes logs under the temp dir (/tmp/openclaw by default): keep them in the temporary world too.
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
# ...but keep Node's compile cache for OpenClaw's code across runs (it is most of the CLI's start-up time).
export NODE_COMPILE_CACHE="$CACHE/node-compile-cache"
unset OPENCLAW_CONFIG_PATH OPENCLAW_PROFILE OPENCLAW_GATEWAY_TOKEN OPENCLAW_GATEWAY_PASSWORD
mkdir -p "$OPENCLAW_STATE_DIR"
CONFIG_JSON="$(node -e 'process.stdout.write(JSON.stringify({socketPath:process.argv[1],agentKeyFile:process.argv[2]}))' "$AGENT_SOCKET" "$WORK/agent.key")"
# Written before the first command so that not even that one logs to the default /tmp/openclaw. The plugin's
# config is there before the install too (docs/plugins.md: older hosts validate the entry the install writes,
# and the manifest requires socketPath), and the mail tools allowed whatever the default tool profile is.
node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({logging: {file: process.argv[2]}, tools: {alsoAllow: ["mailwarden"]}, plugins: {allow: ["mailwarden"], entries: {mailwarden: {config: JSON.parse(process.argv[3])}}}}, null, 2))' \
  "$OPENCLAW_STATE_DIR/openclaw.json" "$WORK/openclaw.log" "$CONFIG_JSON"
log "$(oc --version)"
# Newer hosts ask to accept a plugin's declared capabilities; older ones have no such option.
ACCEPT=()
oc plugins install --help 2>/dev/null | grep -q -- '--accept-capabilities' && ACCEPT=(--accept-capabilities)
oc plugins install "$ROOT/plugin/openclaw" --force "${ACCEPT[@]}" >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log" >&2; die "openclaw plugins install"; }
log "plugins install: $(grep -m1 'Installed plugin' "$WORK/install.log" || echo '?')"
oc config set plugins.entries.mailwarden.config "$CONFIG_JSON" --strict-json >/dev/null 2>&1 || die "openclaw config set"
oc plugins enable mailwarden >/dev/null 2>&1 || die "openclaw plugins enable"
oc plugins inspect mailwarden --runtime --json >"$WORK/inspect.json" 2>"$WORK/inspect.err" ||
  { cat "$WORK/inspect.err" >&2; die "openclaw plugins inspect"; }
oc plugins list >"$WORK/list.txt" 2>&1 || die "openclaw plugins list"
grep -q mailwarden "$WORK/list.txt" || die "plugins list does not show mailwarden"
log "plugins inspect/list ok"

# --- The gateway, loopback only, token auth; tools invoked through POST /tools/invoke. -----------------
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})')"
TOKEN="e2e-$(node -e 'process.stdout.write(require("crypto").randomBytes(16).toString("hex"))')"
PATH="$NODE24_BIN:$PATH" "$OPENCLAW" --no-color gateway run --allow-unconfigured --bind loopback --port "$PORT" \
  --auth token --token "$TOKEN" >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 600); do
  grep -q 'listening' "$WORK/gateway.log" 2>/dev/null && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || die "the gateway exited"
  sleep 0.2
done
grep -q 'listening' "$WORK/gateway.log" || die "the gateway did not start within 120 s"
log "gateway up on 127.0.0.1:$PORT"

(cd "$ROOT" && node --import tsx scripts/openclaw/invoke-tools.ts \
  --gateway "http://127.0.0.1:$PORT" --token "$TOKEN" --socket "$AGENT_SOCKET" --key-file "$WORK/agent.key" \
  --inspect "$WORK/inspect.json" --config "$CONFIG" --approver-key "$APPROVER_KEY")
log "PASS"
