#!/usr/bin/env bash
# `npm start`: set up (Node, dependencies, worker) and run the API and the web
# dev server together, as `nx serve` does for local development.
#   API      http://127.0.0.1:3000   (WebSocket /ws, health /health, dev tokens /api/dev/token)
#   web app  http://127.0.0.1:4200   (proxies /ws and /api to the API)
set -euo pipefail
bash "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$ROOT"

# Local development issues its own tokens; production sets JWT_SECRET / JWT_JWKS_URL
# and leaves DEV_TOKENS off.
export DEV_TOKENS="${DEV_TOKENS:-true}"
export NODE_ENV="${NODE_ENV:-development}"

echo "[start] open http://127.0.0.1:4200 (Ctrl-C stops both servers)"
exec nx run-many -t serve -p api web --output-style=stream
