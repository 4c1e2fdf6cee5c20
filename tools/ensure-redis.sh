#!/usr/bin/env bash
# Makes Debian's redis-server available for the cluster tests (apt, as root), if
# missing. Prints its path on success; exits 1 with a reason otherwise. Nothing
# is started here: each test file starts its own redis-server on 127.0.0.1 on a
# free port (apps/api/src/testing/redis-server.ts) and stops it.
set -uo pipefail
bin="${REDIS_SERVER_BIN:-/usr/bin/redis-server}"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[redis] installing Debian redis-server with apt-get" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2 || true
  # The package may start a system service on 6379; the tests do not use it.
fi
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
echo "[redis] no redis-server (install Debian's 'redis-server' package or set REDIS_SERVER_BIN)" >&2
exit 1
