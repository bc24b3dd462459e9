#!/usr/bin/env bash
# Installs everything Emily needs on a fresh Debian/Ubuntu machine (or a Mac/Linux box
# with Node 20+), builds pgvector into the embedded PostgreSQL, and then starts Emily.
#   bash scripts/install.sh            install, then start Emily
#   bash scripts/install.sh --no-start install only (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

start=1
[ "${1:-}" = "--no-start" ] && start=0

say() { printf 'install: %s\n' "$*"; }

command -v node >/dev/null || { echo "install: Node.js 20 or newer is required" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install: Node.js 20 or newer is required (found $(node -v))" >&2; exit 1; }

# System packages: a C compiler and dpkg-source (pgvector build), the PostgreSQL 15 client
# tools (pg_dump/pg_restore for export, import and backups), and Chromium.
if command -v apt-get >/dev/null; then
  need=()
  command -v gcc >/dev/null || need+=(gcc)
  command -v dpkg-source >/dev/null || need+=(dpkg-dev)
  [ -x /usr/lib/postgresql/15/bin/pg_dump ] || need+=(postgresql-client-15)
  # The end-to-end tests drive a real browser; browser mode needs one too.
  command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    say "installing ${need[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

# npm ci fetches the real Electron on a normal machine; where its download is impossible
# (no internet beyond the npm registry) we install without the binary and Emily runs in
# browser mode.
if [ -n "${ELECTRON_SKIP_BINARY_DOWNLOAD:-}" ]; then
  npm ci --no-audit --no-fund
elif ! npm ci --no-audit --no-fund; then
  say "Electron's binary could not be downloaded; installing without it (browser mode)"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

bash scripts/build-pgvector.sh

if [ "$start" -eq 1 ]; then
  say "starting Emily"
  exec npm start
fi
say "done"
