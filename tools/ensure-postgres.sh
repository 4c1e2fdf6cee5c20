#!/usr/bin/env bash
# Makes Debian's PostgreSQL server binaries available for the database tests
# (apt, as root), if missing. Prints the bin folder on success; exits 1 with a
# reason otherwise. Nothing is started here: the tests start their own server
# on 127.0.0.1 in a temporary folder and stop it.
set -uo pipefail
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin="${POSTGRES_BIN:-$(find_bin)}"
if [ -n "$bin" ] && [ -x "$bin/initdb" ]; then echo "$bin"; exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[postgres] installing Debian postgresql with apt-get" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || true
  # The package starts a system cluster; the tests do not use it.
  bin="$(find_bin)"
fi
if [ -n "$bin" ] && [ -x "$bin/initdb" ]; then echo "$bin"; exit 0; fi
echo "[postgres] no PostgreSQL server binaries (install Debian's 'postgresql' package or set POSTGRES_BIN)" >&2
exit 1
