#!/usr/bin/env bash
# install-linux.sh for real, in a throwaway Debian root: real useradd/groupadd, real file modes, the real
# `npm ci` from the registry, then the sidecar started the way the systemd unit starts it (systemd itself does
# not run in a chroot), and the boundary checked from both sides: the agent's user can use agent.sock and
# nothing else of the service; the sockets have the documented modes.
#
# Usage: sudo scripts/deploy/test-install-chroot.sh   (the base root is cached in .cache/deploy/)
# Env:   MAILWARDEN_E2E_KEEP=1   keep the throwaway root for inspection
# Exit:  0 pass, 1 fail, 75 the root could not be built (not root, no debootstrap, no Debian mirror).
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SUITE=bookworm
MIRROR="${MAILWARDEN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# What npm ci needs to build better-sqlite3 from source, and what node needs to run.
PACKAGES=libstdc++6,ca-certificates,python3,make,g++
BASE="$ROOT_DIR/.cache/deploy/base-$SUITE-$(printf '%s' "$PACKAGES" | cksum | cut -d' ' -f1)"
STARTED=$(date +%s)

log() { printf '[install-chroot %4ss] %s\n' "$(($(date +%s) - STARTED))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
unavailable() { log "NOT RUN: $*"; exit 75; }
ok() { log "ok   $*"; }

[ "$(id -u)" -eq 0 ] || unavailable "needs root (chroot, mount, useradd inside the root)"
command -v chroot >/dev/null || unavailable "no chroot command"
if ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || unavailable "no debootstrap and no apt-get to install it"
  log "installing debootstrap"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; } \
    >/dev/null 2>&1 || unavailable "could not install debootstrap"
fi

# --- The base root, built once and cached (a few minutes the first time). ---------------------------------
if [ ! -x "$BASE/usr/sbin/useradd" ]; then
  log "building a $SUITE base root in ${BASE#"$ROOT_DIR/"} (debootstrap, a few minutes)"
  rm -rf "$BASE.tmp"
  mkdir -p "$(dirname "$BASE")"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$BASE.tmp" "$MIRROR" >"$BASE.log" 2>&1 ||
    { tail -n 20 "$BASE.log" >&2; rm -rf "$BASE.tmp"; unavailable "debootstrap $SUITE from $MIRROR failed"; }
  mv "$BASE.tmp" "$BASE"
fi

# --- A throwaway copy of it, with the host's node, CA bundle and resolver. -----------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mailwarden-install-chroot.XXXXXX")"
R="$WORK/root"
MOUNTS=()
SIDECAR_PID=""
cleanup() {
  local status=$?
  if [ -n "$SIDECAR_PID" ] && kill -0 "$SIDECAR_PID" 2>/dev/null; then
    kill -TERM "$SIDECAR_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SIDECAR_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SIDECAR_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$WORK/serve.log" ]; then tail -n 20 "$WORK/serve.log" >&2; fi
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  if [ "${MAILWARDEN_E2E_KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  log "finished with status $status in $(($(date +%s) - STARTED)) s"
}
trap cleanup EXIT

cp -a "$BASE" "$R"
mount -t proc proc "$R/proc" && MOUNTS+=("$R/proc")
mount --bind /dev "$R/dev" && MOUNTS+=("$R/dev")
NODE="$(command -v node)"
NODE_PREFIX="$(cd "$(dirname "$NODE")/.." && pwd)"
install -m 0755 "$NODE" "$R/usr/local/bin/node"
mkdir -p "$R/usr/local/lib/node_modules" "$R/usr/local/include"
cp -a "$NODE_PREFIX/lib/node_modules/npm" "$R/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
# Node's headers, so node-gyp builds better-sqlite3 without downloading them.
[ -d "$NODE_PREFIX/include/node" ] && cp -a "$NODE_PREFIX/include/node" "$R/usr/local/include/node"
cp /etc/resolv.conf "$R/etc/resolv.conf"
# npm's download cache is shared with the host (downloads only; npm ci still installs, verifies the lock's
# integrity hashes and builds better-sqlite3 inside the root).
NPM_CACHE="$(npm config get cache 2>/dev/null || echo "$HOME/.npm")"
mkdir -p "$NPM_CACHE" "$R/root/.npm"
mount --bind "$NPM_CACHE" "$R/root/.npm" && MOUNTS+=("$R/root/.npm")
# The host reaches the registry through the same CA bundle.
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nnodedir=/usr/local\naudit=false\nfund=false\nupdate-notifier=false\n' \
  >"$R/usr/local/etc/npmrc" 2>/dev/null || { mkdir -p "$R/usr/local/etc" && printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nnodedir=/usr/local\naudit=false\nfund=false\nupdate-notifier=false\n' >"$R/usr/local/etc/npmrc"; }
# The checkout as a user has it: tracked and new files, nothing ignored (no node_modules, no .cache).
mkdir -p "$R/src/mailwarden"
(cd "$ROOT_DIR" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf -) | tar -xf - -C "$R/src/mailwarden"
log "throwaway root ready: $(chroot "$R" /usr/local/bin/node --version), $(. "$R/etc/os-release" && echo "$PRETTY_NAME")"

in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
as_agent() { in_root runuser -u agent -- "$@"; }

# --- The agent's own user, then the install exactly as documented. ------------------------------------------
in_root useradd --create-home --shell /bin/bash agent
log "running install-linux.sh (useradd, npm ci from the registry, init as the service user)"
in_root bash /src/mailwarden/scripts/deploy/install-linux.sh --agent-user agent --backend fake --no-start \
  >"$WORK/install.log" 2>&1 || { tail -n 40 "$WORK/install.log" >&2; die "install-linux.sh failed"; }
ok "install-linux.sh ran to the end ($(grep -c '' "$WORK/install.log") lines of output)"

# --- What the install left behind. ---------------------------------------------------------------------------
mode() { in_root stat -c '%a %U:%G %F' "$1"; }
expect_mode() {
  local got
  got="$(mode "$1")" || die "$1 does not exist"
  [ "$got" = "$2" ] || die "$1 is '$got', documented '$2'"
  ok "$1: $2"
}
in_root getent passwd mailwarden | grep -q ':/var/lib/mailwarden:/usr/sbin/nologin$' || die "service user is not a nologin system user"
ok "service user mailwarden: system user, home /var/lib/mailwarden, no login shell"
in_root id -nG agent | tr ' ' '\n' | grep -qx mailwarden-agents || die "agent is not in mailwarden-agents"
if in_root id -nG agent | tr ' ' '\n' | grep -qx mailwarden; then die "agent is in the service group"; fi
ok "agent user: in mailwarden-agents, not in the service group"
expect_mode /opt/mailwarden "755 root:root directory"
[ -z "$(in_root find /opt/mailwarden -perm /022 ! -type l -print -quit)" ] || die "something under /opt/mailwarden is group- or world-writable"
[ -z "$(in_root find /opt/mailwarden ! -user root -print -quit)" ] || die "something under /opt/mailwarden is not root's"
ok "/opt/mailwarden: root's, writable by nobody else"
for d in scripts plugin/mcp node_modules/better-sqlite3; do in_root test -e "/opt/mailwarden/$d" || die "/opt/mailwarden/$d is missing"; done
ok "/opt/mailwarden has scripts/, plugin/mcp/ and the native better-sqlite3 (npm ci ran)"
expect_mode /var/lib/mailwarden/mailwarden.yaml "600 mailwarden:mailwarden regular file"
expect_mode /var/lib/mailwarden/keys "700 mailwarden:mailwarden directory"
expect_mode /var/lib/mailwarden/keys/evidence.key "600 mailwarden:mailwarden regular file"
expect_mode /etc/mailwarden/agent.key "640 root:mailwarden-agents regular file"
expect_mode /root/.config/mailwarden/approver.key "600 root:root regular file"
in_root test ! -e /var/lib/mailwarden/keys/approver.key || die "the approver's private key stayed with the service"
ok "the approver's private key left the service's folder"

# --- The service as the unit starts it: User=, SupplementaryGroups=, RuntimeDirectory=, UMask=. -------------
in_root install -d -o mailwarden -g mailwarden -m 0750 /run/mailwarden
in_root chgrp mailwarden-agents /run/mailwarden
chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_ENV=production \
  MAILWARDEN_CONFIG=/var/lib/mailwarden/mailwarden.yaml \
  runuser -u mailwarden -- sh -c 'umask 0077 && exec /usr/local/bin/mailwarden serve --config /var/lib/mailwarden/mailwarden.yaml' \
  >"$WORK/serve.log" 2>&1 &
SIDECAR_PID=$!
for _ in $(seq 1 150); do [ -S "$R/run/mailwarden/operator.sock" ] && break; sleep 0.2; done
[ -S "$R/run/mailwarden/operator.sock" ] || die "the service did not open its sockets"
ok "mailwarden serve is up as the service user"

expect_mode /run/mailwarden "750 mailwarden:mailwarden-agents directory"
expect_mode /run/mailwarden/agent.sock "660 mailwarden:mailwarden-agents socket"
expect_mode /run/mailwarden/operator.sock "600 mailwarden:mailwarden socket"

# --- From the agent's side. -----------------------------------------------------------------------------------
connect='const s=require("net").connect(process.argv[1]);s.on("connect",()=>{console.log("connected");process.exit(0)});s.on("error",(e)=>{console.log(e.code);process.exit(3)})'
as_agent node -e "$connect" /run/mailwarden/agent.sock | grep -qx connected || die "the agent cannot connect to agent.sock"
ok "agent can connect to agent.sock"
got="$(as_agent node -e "$connect" /run/mailwarden/operator.sock || true)"
[ "$got" = EACCES ] || die "the agent's connect to operator.sock gave '$got', not EACCES"
ok "agent cannot connect to operator.sock (EACCES)"
# A real proposal with the agent's own key, read from the file only its group may read.
call='const http=require("http");const key=require("fs").readFileSync("/etc/mailwarden/agent.key","utf8").trim();
const body=JSON.stringify({action:"gmail.labels.list",params:{},session:{id:"install-check",runtime:"shell"},correlationId:"install-check-1"});
const r=http.request({socketPath:"/run/mailwarden/agent.sock",path:"/v1/proposals",method:"POST",headers:{authorization:"Bearer "+key,"content-type":"application/json","content-length":Buffer.byteLength(body)}},(res)=>{let t="";res.on("data",(d)=>t+=d);res.on("end",()=>{console.log(res.statusCode,JSON.parse(t).proposal?.status)})});r.end(body);'
got="$(as_agent node -e "$call")" || die "the agent's proposal failed"
[ "$got" = "200 executed" ] || die "the agent's read through agent.sock answered '$got'"
ok "agent runs a read through agent.sock with its key: $got"
for f in /var/lib/mailwarden /var/lib/mailwarden/mailwarden.yaml /root/.config/mailwarden/approver.key; do
  if as_agent test -r "$f"; then die "the agent can read $f"; fi
done
if as_agent ls /var/lib/mailwarden >/dev/null 2>&1; then die "the agent can list /var/lib/mailwarden"; fi
ok "agent cannot read the service's state, config or keys, nor the approver key"
if as_agent sh -c 'echo x > /opt/mailwarden/x' 2>/dev/null; then die "the agent can write into /opt/mailwarden"; fi
ok "agent cannot write the installed code"
# runuser (the chroot's command) forks the service's process as its child.
SERVE_PID="$(ps -o pid= --ppid "$SIDECAR_PID" | tr -d ' ' | sed -n 1p)"
[ -n "$SERVE_PID" ] && [ "$(in_root stat -c %U "/proc/$SERVE_PID")" = mailwarden ] ||
  die "cannot find the service's process (child of $SIDECAR_PID)"
got="$(as_agent sh -c "kill -0 $SERVE_PID 2>&1" || true)"
echo "$got" | grep -qi 'not permitted' || die "the agent could signal the service's process ($got)"
ok "agent cannot signal the service's process (pid $SERVE_PID)"
if as_agent runuser -u mailwarden -- true 2>/dev/null; then die "the agent can become the service user"; fi
if as_agent su -s /bin/sh mailwarden -c true </dev/null 2>/dev/null; then die "the agent can su to the service user"; fi
ok "agent cannot become the service user (runuser, su)"

# --- The operator's view: posture from the running service. -------------------------------------------------
in_root runuser -u mailwarden -- /usr/local/bin/mailwarden posture --config /var/lib/mailwarden/mailwarden.yaml --json \
  >"$WORK/posture.json" 2>"$WORK/posture.err" || true
for check in sockets.agent.mode sockets.operator.mode files.keys.owner files.state.owner; do
  node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const c=p.checks.find((x)=>x.id===process.argv[2]);if(!c||c.status!=="pass"){console.error(JSON.stringify(c));process.exit(1)}' \
    "$WORK/posture.json" "$check" || die "posture check $check does not pass"
done
ok "posture from the running service passes sockets.agent.mode, sockets.operator.mode, files.keys.owner, files.state.owner"
log "PASS"
