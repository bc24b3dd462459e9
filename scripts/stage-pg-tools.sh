#!/usr/bin/env bash
# Stages pg_dump, pg_restore and psql (PostgreSQL 15, the embedded server's major version)
# and the shared libraries they need into build/pg-tools/ for electron-builder.
# Linux: from Debian's postgresql-client-15. On macOS/Windows point PG_TOOLS_SRC at the
# bin/ folder of a PostgreSQL 15 client install.
set -euo pipefail
cd "$(dirname "$0")/.."
src="${PG_TOOLS_SRC:-/usr/lib/postgresql/15/bin}"
out=build/pg-tools
rm -rf "$out" && mkdir -p "$out/bin" "$out/lib"
for tool in pg_dump pg_restore psql; do
  exe="$src/$tool"; [ -x "$exe" ] || exe="$src/$tool.exe"
  [ -x "$exe" ] || { echo "stage-pg-tools: $tool not found in $src (install postgresql-client-15 or set PG_TOOLS_SRC)" >&2; exit 1; }
  cp "$exe" "$out/bin/"
done
if command -v ldd >/dev/null && [ "$(uname)" = Linux ]; then
  # libpq and what it pulls in that a desktop may lack; glibc itself stays the system's.
  for lib in $(ldd "$out"/bin/* | awk '/=> \// {print $3}' | sort -u | grep -E 'libpq|libssl|libcrypto|libgssapi|libldap|liblber|libsasl|libkrb|libk5crypto|libcom_err|libkeyutils|libzstd|liblz4|libreadline|libtinfo' || true); do
    cp -L "$lib" "$out/lib/"
  done
fi
echo "staged $(ls "$out/bin" | tr '\n' ' ')into $out"
