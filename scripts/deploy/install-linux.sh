#!/usr/bin/env bash
# Installs mailwarden on a systemd Linux host: users and groups, code, directories with their owners
# and modes, a first configuration written by the service user, and the systemd unit.
# Safe to run again: existing users, groups and configuration are kept.
#
# Usage: sudo scripts/deploy/install-linux.sh [options]
#   --agent-user USER      OS user the agent runtime runs as (repeatable); joins mailwarden-agents
#   --backend gog|fake     mail backend for the first configuration (default: gog)
#   --profile NAME         policy profile for the first configuration (default: draft_assist)
#   --gog-binary PATH      absolute path of the gog build (default: gog-agent-safe or gog on PATH)
#   --account EMAIL        Google account gog acts for
#   --operator-key-dir DIR where the approver's private key is moved (default: /root/.config/mailwarden)
#   --prefix DIR           where the code is installed (default: /opt/mailwarden)
#   --no-start             install everything but do not enable or start the service
#   --dry-run              print every command instead of running it
set -euo pipefail

SERVICE_USER=mailwarden
SERVICE_GROUP=mailwarden
AGENTS_GROUP=mailwarden-agents
STATE_DIR=/var/lib/mailwarden
RUNTIME_DIR=/run/mailwarden
AGENT_KEY_DIR=/etc/mailwarden
PREFIX=/opt/mailwarden
BIN_LINK=/usr/local/bin/mailwarden
UNIT_DIR=/etc/systemd/system
BACKEND=gog
PROFILE=draft_assist
GOG_BINARY=
ACCOUNT=
OPERATOR_KEY_DIR=/root/.config/mailwarden
START=1
DRY_RUN=0
AGENT_USERS=()

SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

die() {
  echo "install-linux: $*" >&2
  exit 2
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --agent-user) AGENT_USERS+=("${2:?--agent-user needs a user name}"); shift 2 ;;
    --backend) BACKEND="${2:?--backend needs gog or fake}"; shift 2 ;;
    --profile) PROFILE="${2:?--profile needs a name}"; shift 2 ;;
    --gog-binary) GOG_BINARY="${2:?--gog-binary needs a path}"; shift 2 ;;
    --account) ACCOUNT="${2:?--account needs an email address}"; shift 2 ;;
    --operator-key-dir) OPERATOR_KEY_DIR="${2:?--operator-key-dir needs a directory}"; shift 2 ;;
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    --no-start) START=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

case "$BACKEND" in gog | fake) ;; *) die "--backend must be gog or fake, not $BACKEND" ;; esac
case "$GOG_BINARY" in "" | /*) ;; *) die "--gog-binary must be an absolute path" ;; esac
for u in "${AGENT_USERS[@]}"; do
  [ "$u" != "$SERVICE_USER" ] && [ "$u" != root ] || die "the agent must run as its own unprivileged user, not $u"
done

# Every change goes through run, so --dry-run shows exactly what a real run does.
run() {
  if [ "$DRY_RUN" -eq 1 ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

as_service() {
  run runuser -u "$SERVICE_USER" -- "$@"
}

if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo $0), or add --dry-run to see the commands"
fi

nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/sbin/nologin

echo "== users and groups"
getent group "$SERVICE_GROUP" >/dev/null || run groupadd --system "$SERVICE_GROUP"
getent group "$AGENTS_GROUP" >/dev/null || run groupadd --system "$AGENTS_GROUP"
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  run useradd --system --gid "$SERVICE_GROUP" --home-dir "$STATE_DIR" --no-create-home \
    --shell "$nologin" --comment "mailwarden sidecar" "$SERVICE_USER"
fi
# The service joins the agents' group only to hand agent.sock to it; agents never join the service group.
run usermod --append --groups "$AGENTS_GROUP" "$SERVICE_USER"
for u in "${AGENT_USERS[@]}"; do
  getent passwd "$u" >/dev/null || [ "$DRY_RUN" -eq 1 ] || die "agent user $u does not exist; create it first"
  run usermod --append --groups "$AGENTS_GROUP" "$u"
  if id -nG "$u" 2>/dev/null | tr ' ' '\n' | grep -qx "$SERVICE_GROUP"; then
    run gpasswd --delete "$u" "$SERVICE_GROUP"
  fi
done

echo "== code in $PREFIX (root-owned, read-only to the service)"
run install -d -o root -g root -m 0755 "$PREFIX"
# scripts/ holds build.mjs, which npm ci runs (prepare); plugin/ holds what the agents' hosts load (the MCP
# server, the Hermes and OpenClaw plugins) from $PREFIX/plugin.
run cp -R "$SOURCE_DIR/bin" "$SOURCE_DIR/shared" "$SOURCE_DIR/sidecar" "$SOURCE_DIR/plugin" "$SOURCE_DIR/scripts" \
  "$SOURCE_DIR/policies" "$SOURCE_DIR/fixtures" "$SOURCE_DIR/docs" "$SOURCE_DIR/package.json" \
  "$SOURCE_DIR/package-lock.json" "$PREFIX/"
run sh -c "cd '$PREFIX' && npm ci --omit=dev --no-audit --no-fund"
run chown -R root:root "$PREFIX"
run chmod -R go-w "$PREFIX"
run ln -sfn "$PREFIX/bin/mailwarden.mjs" "$BIN_LINK"

echo "== directories"
# SECURITY: owner-only state; the runtime directory is made by systemd (RuntimeDirectory=).
run install -d -o "$SERVICE_USER" -g "$SERVICE_GROUP" -m 0700 "$STATE_DIR"
run install -d -o root -g "$AGENTS_GROUP" -m 0750 "$AGENT_KEY_DIR"
run install -d -o root -g root -m 0700 "$OPERATOR_KEY_DIR"

CONFIG="$STATE_DIR/mailwarden.yaml"
echo "== first configuration ($CONFIG)"
if [ "$DRY_RUN" -eq 0 ] && [ -e "$CONFIG" ]; then
  echo "kept the existing $CONFIG"
else
  init_cmd=(runuser -u "$SERVICE_USER" -- env MAILWARDEN_ACCOUNT="${ACCOUNT:-owner@example.com}" sh -c "umask 077 && exec '$BIN_LINK' init --dir '$STATE_DIR' --backend '$BACKEND' --profile '$PROFILE' --json")
  if [ "$DRY_RUN" -eq 1 ]; then
    run "${init_cmd[@]}"
  else
    # Captured here rather than written to a file: the agent key must not touch the disk in clear.
    init_json="$("${init_cmd[@]}")"
  fi
  # Deployment-specific settings: sockets in /run, the agents' group, the agent user, the gog build.
  # Everything else (keys, state, evidence, gog home) stays where init put it, inside $STATE_DIR.
  first_agent="${AGENT_USERS[0]:-}"
  as_service env MW_CONFIG="$CONFIG" MW_RUNTIME="$RUNTIME_DIR" MW_AGENTS_GROUP="$AGENTS_GROUP" \
    MW_AGENT_USER="$first_agent" MW_GOG_BINARY="$GOG_BINARY" sh -c "cd '$PREFIX' && node --input-type=module -e \"\$0\"" '
import { readFileSync, writeFileSync } from "node:fs";
import YAML from "yaml";
const e = process.env;
const doc = YAML.parseDocument(readFileSync(e.MW_CONFIG, "utf8"));
doc.setIn(["paths", "runtimeDir"], e.MW_RUNTIME);
doc.setIn(["sockets", "agentGroup"], e.MW_AGENTS_GROUP);
if (e.MW_AGENT_USER) doc.setIn(["agent", "user"], e.MW_AGENT_USER);
if (e.MW_GOG_BINARY) doc.setIn(["gog", "binary"], e.MW_GOG_BINARY);
writeFileSync(e.MW_CONFIG, doc.toString(), { mode: 0o600 });
'
  if [ "$DRY_RUN" -eq 0 ]; then
    # The approver's private key belongs to the human operator, never to the sidecar.
    field() { printf '%s' "$init_json" | node -e 'let s="";process.stdin.on("data",(d)=>{s+=d}).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(typeof v!=="string"){process.exit(1)}process.stdout.write(v)})' "$1"; }
    approver_key="$(field approverKey)" || die "mailwarden init --json printed no approverKey"
    agent_key="$(field agentKey)" || die "mailwarden init --json printed no agentKey"
    run install -o root -g root -m 0600 "$approver_key" "$OPERATOR_KEY_DIR/approver.key"
    run rm -f "$approver_key"
    # The agent's own key: readable by the agents' group only.
    (umask 077 && printf '%s\n' "$agent_key" >"$AGENT_KEY_DIR/agent.key")
    run chown root:"$AGENTS_GROUP" "$AGENT_KEY_DIR/agent.key"
    run chmod 0640 "$AGENT_KEY_DIR/agent.key"
  else
    echo "+ (move the approver key named in init's JSON to $OPERATOR_KEY_DIR/approver.key, mode 0600)"
    echo "+ (write the agent key from init's JSON to $AGENT_KEY_DIR/agent.key, root:$AGENTS_GROUP 0640)"
  fi
fi

echo "== systemd unit"
run install -o root -g root -m 0644 "$SOURCE_DIR/scripts/deploy/systemd/mailwarden.service" "$UNIT_DIR/mailwarden.service"
# In an image build or a chroot systemd is not running: the unit is installed, and systemd reads it at boot.
if [ "$DRY_RUN" -eq 1 ] || [ -d /run/systemd/system ]; then
  run systemctl daemon-reload
else
  [ "$START" -eq 0 ] || die "systemd is not running here, so the service cannot be started; add --no-start"
  echo "systemd is not running here: the unit is installed and loads at the next boot"
fi
if [ "$START" -eq 1 ]; then
  run systemctl enable mailwarden.service
  # restart, not start: an upgrade must load the new code and unit.
  run systemctl restart mailwarden.service
  run "$BIN_LINK" posture --config "$CONFIG"
else
  echo "not started (--no-start): systemctl enable mailwarden.service && systemctl restart mailwarden.service"
fi

cat <<MSG
== done
  config:          $CONFIG
  sockets:         $RUNTIME_DIR/agent.sock (group $AGENTS_GROUP), $RUNTIME_DIR/operator.sock (service user only)
  agent key:       $AGENT_KEY_DIR/agent.key (group $AGENTS_GROUP)
  approver key:    $OPERATOR_KEY_DIR/approver.key (keep it with the operator; the sidecar holds only the public key)
  next:            runuser -u $SERVICE_USER -- gog --home $STATE_DIR/gog-home auth add <account>   (real backend)
                   mailwarden posture --config $CONFIG
MSG
