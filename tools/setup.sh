#!/usr/bin/env bash
# One-time (and idempotent) project set-up, called by `npm start` and `npm test`:
#   1. a Node.js >= 22.22 (installs Node 24 into .tools/ when the machine's is older);
#   2. `npm ci` when package-lock.json changed since the last install;
#   3. the mediasoup worker: MEDIASOUP_WORKER_BIN, else the system-wide location
#      /usr/local/lib/mediasoup/mediasoup-worker-<mediasoup version>, else the
#      prebuilt binary mediasoup's own postinstall fetches (needs internet).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$ROOT"

MEDIASOUP_VERSION="$(node -p "require('./package.json').dependencies.mediasoup")"
SYSTEM_WORKER="/usr/local/lib/mediasoup/mediasoup-worker-$MEDIASOUP_VERSION"
PACKAGE_WORKER="$ROOT/node_modules/mediasoup/worker/out/Release/mediasoup-worker"
STAMP="$ROOT/node_modules/.confer-install-stamp"
want_stamp="$(cat package-lock.json package.json | sha256sum | cut -c1-16)-$(node -v)"

if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want_stamp" ]; then
  echo "[setup] npm ci (Node $(node -v))"
  # The worker is resolved after install, so mediasoup's postinstall is told to
  # skip here and is run on its own below where it is needed: an offline machine
  # must still install.
  MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-skip-at-install}" \
    npm ci --no-audit --no-fund --loglevel=error
  echo "$want_stamp" > "$STAMP"
fi

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  echo "[setup] mediasoup worker: MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN"
elif [ -x "$SYSTEM_WORKER" ]; then
  echo "[setup] mediasoup worker: $SYSTEM_WORKER (system-wide)"
elif [ -x "$PACKAGE_WORKER" ]; then
  echo "[setup] mediasoup worker: $PACKAGE_WORKER (mediasoup prebuilt)"
elif [ ! -f "$ROOT/node_modules/.confer-worker-fetch-tried" ]; then
  echo "[setup] no mediasoup worker yet: fetching mediasoup's prebuilt binary"
  # Ask first, with a short timeout: offline, mediasoup's postinstall would fall
  # back to building the worker from source, which fails slowly without internet.
  if ! probe="$(node tools/worker-prebuilt-reachable.mjs)"; then
    echo "$probe" > "$ROOT/node_modules/.confer-worker-fetch.log"
    fetched=false
  elif timeout 900 npm rebuild mediasoup --loglevel=error >"$ROOT/node_modules/.confer-worker-fetch.log" 2>&1 \
     && [ -x "$PACKAGE_WORKER" ]; then
    fetched=true
  else
    fetched=false
  fi
  if [ "$fetched" = true ]; then
    echo "[setup] mediasoup worker: $PACKAGE_WORKER (fetched)"
  else
    touch "$ROOT/node_modules/.confer-worker-fetch-tried"
    echo "[setup] WARNING: no mediasoup worker could be fetched or built: $(head -c 300 "$ROOT/node_modules/.confer-worker-fetch.log" | tail -n 1) (log: node_modules/.confer-worker-fetch.log)."
    echo "[setup]   The app still starts, but media requests answer 'media_unavailable'."
    echo "[setup]   Supply one: set MEDIASOUP_WORKER_BIN=/abs/path/to/mediasoup-worker (built for mediasoup $MEDIASOUP_VERSION)"
    echo "[setup]   or install it at $SYSTEM_WORKER"
  fi
else
  echo "[setup] mediasoup worker: none (see README, 'The mediasoup worker')"
fi
