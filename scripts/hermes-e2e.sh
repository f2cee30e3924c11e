#!/usr/bin/env bash
# End to end: the mailwarden Hermes plugin loaded by a real Hermes Agent (hermes-agent from PyPI) with
# Hermes's own plugin loader, its tools called through Hermes's own tool dispatcher, against a real
# mailwarden sidecar (`mailwarden serve` with the fake gog).
#
# Usage: scripts/hermes-e2e.sh          (idempotent; caches a virtualenv under .cache/hermes/)
# Env:   MAILWARDEN_E2E_HERMES=0.19.0   hermes-agent version to test against
#        MAILWARDEN_E2E_PROFILE=scoped_execution  policy profile (it allows reads and denies sending)
#        MAILWARDEN_E2E_KEEP=1          keep the temporary state directory for inspection
# Exit:  0 pass, 1 fail, 75 the host could not be installed (nothing about mailwarden was tested).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERMES_VERSION="${MAILWARDEN_E2E_HERMES:-0.19.0}"
PROFILE="${MAILWARDEN_E2E_PROFILE:-scoped_execution}"
VENV="$ROOT/.cache/hermes/hermes-agent-$HERMES_VERSION"
STARTED=$(date +%s)

log() { printf '[hermes-e2e %4ss] %s\n' "$(($(date +%s) - STARTED))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
# EX_TEMPFAIL: the host could not be installed; nothing about mailwarden was tested.
unavailable() { log "UNAVAILABLE: $*"; exit 75; }

# --- Python >= 3.11 (hermes-agent's floor) and the pinned hermes-agent in a cached virtualenv. --------
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    PYTHON="$(command -v "$candidate")"
    break
  fi
done
[ -n "$PYTHON" ] || unavailable "no Python >= 3.11 with venv on PATH"

# A virtualenv cannot be moved, so it is built in place and marked complete only when it imports.
STAMP="$VENV/.mailwarden-complete"
if [ ! -f "$STAMP" ]; then
  log "installing hermes-agent==$HERMES_VERSION into .cache/hermes (about half a minute)"
  rm -rf "$VENV" && mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV" || unavailable "cannot create a virtualenv with $PYTHON"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "hermes-agent==$HERMES_VERSION" >"$VENV.pip.log" 2>&1 ||
    { tail -n 20 "$VENV.pip.log" >&2; unavailable "pip could not install hermes-agent==$HERMES_VERSION"; }
  "$VENV/bin/python" -c 'import hermes_cli.plugins, model_tools' >/dev/null 2>&1 ||
    die "hermes-agent==$HERMES_VERSION installed but does not import"
  touch "$STAMP"
fi
HERMES="$VENV/bin/hermes"
log "$("$HERMES" --version 2>/dev/null | head -n 1) in .cache/hermes, $("$VENV/bin/python" --version)"

# --- A temporary world: mailwarden setup, Hermes home, logs. -------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mailwarden-hermes-e2e.XXXXXX")"
SIDECAR_PID=""
cleanup() {
  local status=$?
  if [ -n "$SIDECAR_PID" ] && kill -0 "$SIDECAR_PID" 2>/dev/null; then
    kill -TERM "$SIDECAR_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SIDECAR_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SIDECAR_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$WORK/sidecar.log" ]; then
    log "last lines of the sidecar's log:"
    tail -n 30 "$WORK/sidecar.log" >&2
  fi
  if [ "${MAILWARDEN_E2E_KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  log "finished with status $status in $(($(date +%s) - STARTED)) s"
}
trap cleanup EXIT

# --- A real sidecar: mailwarden init with the fake gog backend, then serve. ----------------------------
(cd "$ROOT" && node bin/mailwarden.mjs init --dir "$WORK/mw" --backend fake --profile "$PROFILE" --json >"$WORK/init.json")
read_init() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(String(j[process.argv[2]]))' "$WORK/init.json" "$1"; }
AGENT_SOCKET="$(read_init agentSocket)"
CONFIG="$(read_init config)"
(umask 077 && read_init agentKey >"$WORK/agent.key")
(cd "$ROOT" && exec node bin/mailwarden.mjs serve --config "$CONFIG") >"$WORK/sidecar.log" 2>&1 &
SIDECAR_PID=$!
for _ in $(seq 1 100); do [ -S "$AGENT_SOCKET" ] && break; sleep 0.1; done
[ -S "$AGENT_SOCKET" ] || die "the sidecar did not open $AGENT_SOCKET"
log "sidecar up (profile $PROFILE) at $AGENT_SOCKET"

# --- Hermes with its home in the temporary world; the plugin where Hermes looks for user plugins. ------
export HERMES_HOME="$WORK/hermes-home"
export HOME="$WORK/home"
mkdir -p "$HERMES_HOME/plugins" "$HOME"
# Hermes must not read this machine's own settings or secrets.
unset HERMES_ENABLE_PROJECT_PLUGINS HERMES_SAFE_MODE MAILWARDEN_SOCKET MAILWARDEN_AGENT_KEY MAILWARDEN_AGENT_KEY_FILE
cp -R "$ROOT/plugin/hermes/mailwarden" "$HERMES_HOME/plugins/mailwarden"
# Plugins are opt-in: enable it with Hermes's own command (no terminal, so no override is granted).
"$HERMES" plugins enable mailwarden </dev/null >"$WORK/enable.log" 2>&1 || { cat "$WORK/enable.log" >&2; die "hermes plugins enable"; }
"$HERMES" plugins list --plain >"$WORK/list.txt" 2>&1 || { cat "$WORK/list.txt" >&2; die "hermes plugins list"; }
grep -q 'mailwarden' "$WORK/list.txt" || { cat "$WORK/list.txt" >&2; die "hermes plugins list does not show mailwarden"; }
log "hermes plugins enable/list: $(grep -m1 mailwarden "$WORK/list.txt" | tr -s ' ')"

# Hermes logs every unavailable built-in tool on stderr; that goes to a file, shown only on failure.
drive() {
  if ! (cd "$WORK" && "$VENV/bin/python" "$ROOT/scripts/hermes/invoke_tools.py" "$1" 2>"$WORK/hermes-$1.log"); then
    grep -v '^check_fn \|^Auxiliary' "$WORK/hermes-$1.log" | tail -n 20 >&2
    return 1
  fi
}

# 1. Unconfigured: Hermes says what is missing, and a call is refused.
drive unconfigured || die "unconfigured plugin"
# 2. Configured through the environment, as the plugin's README says; denied tools hidden.
MAILWARDEN_SOCKET="$AGENT_SOCKET" MAILWARDEN_AGENT_KEY_FILE="$WORK/agent.key" drive configured || die "configured plugin"
# 3. Denied tools shown: a send reaches the sidecar and is refused by the policy.
MAILWARDEN_SOCKET="$AGENT_SOCKET" MAILWARDEN_AGENT_KEY_FILE="$WORK/agent.key" MAILWARDEN_HIDE_DENIED=0 \
  drive show-denied || die "plugin with denied tools shown"
log "PASS (hermes-agent $HERMES_VERSION)"
