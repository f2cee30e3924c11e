#!/usr/bin/env bash
# Installs Debian's chromium for the console's browser tests, only when /usr/bin/chromium is missing.
# Idempotent: when the browser is already there it changes nothing and exits 0.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "console-deps: /usr/bin/chromium present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "console-deps: /usr/bin/chromium is missing and apt-get is not available; install chromium by hand" >&2
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo -n)
  else
    echo "console-deps: /usr/bin/chromium is missing; run as root or install sudo" >&2
    exit 1
  fi
fi

echo "console-deps: installing chromium"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation
/usr/bin/chromium --version 2>/dev/null || true
