#!/usr/bin/env bash
# Installs the Debian packages the tests need (systemd-analyze, xmllint, chromium for the console), only when missing.
# Idempotent: when every tool is already present it changes nothing and exits 0.
set -euo pipefail

# command -> Debian package that provides it
declare -A wanted=(
  [systemd-analyze]=systemd
  [xmllint]=libxml2-utils
  [chromium]=chromium
)

missing=()
for cmd in "${!wanted[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing+=("${wanted[$cmd]}")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "ci-deps: all tools present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ci-deps: missing ${missing[*]} and apt-get is not available; install them by hand" >&2
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo -n)
  else
    echo "ci-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
fi

# Chromium renders the console's pages; without a font its screenshots are unreadable.
for pkg in "${missing[@]}"; do
  if [ "$pkg" = chromium ]; then missing+=(fonts-liberation); fi
done

echo "ci-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
