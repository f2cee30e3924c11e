#!/usr/bin/env bash
# Installs the real gog (gogcli) that the conformance tests run, pinned, into .cache/gog/<version>/:
#   gog              the plain build (`go install` of the module's cmd/gog)
#   gog-agent-safe   the same source built with the `safety_profile` tag and gog's agent-safe preset baked in
# A second run reuses both builds. The module's hashes are pinned in scripts/gog/go.sum.
#
# Usage: scripts/install-gog.sh        prints the directory holding the binaries on its last stdout line
# Exit:  0 installed (or cached); 75 gog could not be installed (no Go toolchain, module proxy unreachable).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="$(sed -n 's/^require github.com\/steipete\/gogcli \(v[^ ]*\)$/\1/p' "$ROOT/scripts/gog/go.mod")"
DEST="$ROOT/.cache/gog/$VERSION"
MODULE_DIR="$ROOT/scripts/gog"

log() { printf '[install-gog] %s\n' "$*" >&2; }
unavailable() { log "UNAVAILABLE: $*"; exit 75; }

[ -n "$VERSION" ] || { log "cannot read the pinned gog version from scripts/gog/go.mod"; exit 1; }

# gogcli's go.mod states the minimum Go; a newer local toolchain builds it as is, an older one may fetch the
# stated toolchain as a module.
command -v go >/dev/null 2>&1 || unavailable "no Go toolchain on PATH (install Go >= 1.26.5)"
export GOFLAGS="-mod=readonly -buildvcs=false"

built_version() { [ -x "$1" ] && "$1" --version 2>/dev/null | head -n1 || true; }

if [ "$(built_version "$DEST/gog")" = "$VERSION" ]; then
  log "gog $VERSION cached in .cache/gog/$VERSION"
else
  log "building gog $VERSION (go install, takes about two minutes the first time)"
  mkdir -p "$DEST"
  (cd "$MODULE_DIR" && GOBIN="$DEST" go install github.com/steipete/gogcli/cmd/gog) ||
    unavailable "go install of github.com/steipete/gogcli/cmd/gog@$VERSION failed"
  [ "$(built_version "$DEST/gog")" = "$VERSION" ] || unavailable "the built gog does not report $VERSION"
fi

# The baked agent-safe build: gog's own build-safe recipe (generate the profile file, build with the tag),
# run on a writable copy of the module source from the module cache.
if [ "$(built_version "$DEST/gog-agent-safe")" = "$VERSION-safe" ]; then
  log "gog-agent-safe $VERSION cached"
else
  log "building gog-agent-safe $VERSION (safety_profile build tag, agent-safe preset)"
  SRC="$(cd "$MODULE_DIR" && go list -m -f '{{.Dir}}' github.com/steipete/gogcli)" ||
    unavailable "the gogcli module source is not in the module cache"
  WORK="$DEST/src"
  rm -rf "$WORK" && cp -R "$SRC" "$WORK" && chmod -R u+w "$WORK"
  (
    cd "$WORK"
    go run ./cmd/bake-safety-profile safety-profiles/agent-safe.yaml internal/cmd/safety_profile_baked_gen.go
    go build -tags safety_profile \
      -ldflags "-X github.com/steipete/gogcli/internal/cmd.version=$VERSION-safe" \
      -o "$DEST/gog-agent-safe" ./cmd/gog
  ) || unavailable "the baked agent-safe build of gog $VERSION failed"
  # The copied source is only scratch: a failed clean-up (seen as "Directory not empty" on some filesystems)
  # must not fail an install whose binaries are built.
  chmod -R u+w "$WORK" 2>/dev/null || true
  rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK" 2>/dev/null || log "left scratch source in $WORK"; }
fi

echo "$DEST"
