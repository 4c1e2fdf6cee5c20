#!/usr/bin/env bash
# `npm test`: set up, then the whole suite through Nx:
#   lint (module boundaries enforced) · typecheck · build of both apps ·
#   protocol and OpenAPI documents up to date · unit + WebSocket protocol tests (jest) ·
#   browser end-to-end tests (playwright-core + Debian Chromium).
# Every step runs even if an earlier one failed; the summary says what failed.
set -uo pipefail
bash "$(dirname "${BASH_SOURCE[0]}")/setup.sh" || exit 1
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$ROOT"

export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE="${NX_SKIP_NX_CACHE:-${CI:+true}}"
RESULTS_DIR="$ROOT/dist/test-results"
rm -rf "$RESULTS_DIR" && mkdir -p "$RESULTS_DIR"
export JEST_RESULTS_DIR="$RESULTS_DIR"

worker_json="$(SWC_NODE_PROJECT=apps/api/tsconfig.app.json node -r @swc-node/register apps/api/src/workers/worker-status.cli.ts)"
worker_path="$(node -p "JSON.parse(process.argv[1]).path ?? ''" "$worker_json")"
worker_detail="$(node -p "JSON.parse(process.argv[1]).detail" "$worker_json")"
echo "[test] mediasoup worker: ${worker_path:-none} — $worker_detail"

if chromium="$(bash tools/ensure-chromium.sh)"; then
  export CHROMIUM_PATH="$chromium"
else
  export E2E_NO_BROWSER="no Chromium available (see tools/ensure-chromium.sh)"
fi

failed=()
step() { # step NAME CMD...
  local name="$1"; shift
  echo; echo "===== [test] $name ====="
  if "$@"; then echo "===== [test] $name: ok"; else echo "===== [test] $name: FAILED"; failed+=("$name"); fi
}

step "lint, typecheck, build" nx run-many -t lint typecheck build --output-style=stream
step "protocol document up to date" nx run signaling-contracts:protocol-doc-check --output-style=stream
step "server API document (OpenAPI) up to date" nx run api:openapi-check --output-style=stream
step "unit and protocol tests (jest)" nx run-many -t test --output-style=stream
step "browser e2e" bash -c 'set -o pipefail; nx run web:e2e --output-style=stream | tee "$0/e2e.log"' "$RESULTS_DIR"
# The e2e runner's closing line "e2e: N passed, N failed, N skipped" goes into the summary.
sed -n 's/.*e2e: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/{"passed":\1,"failed":\2,"skipped":\3}/p' \
  "$RESULTS_DIR/e2e.log" | tail -n 1 > "$RESULTS_DIR/e2e.json"
[ -s "$RESULTS_DIR/e2e.json" ] || rm -f "$RESULTS_DIR/e2e.json"

# ---- Summary ---------------------------------------------------------------------
echo; echo "===== [test] summary ====="
if [ -n "$worker_path" ]; then
  echo "real-worker suites: RAN against $worker_path"
else
  echo "real-worker suites: SKIPPED — no mediasoup worker ($worker_detail); the test double ran instead"
fi
# Last line: the totals ("tests: N passed, N failed, N skipped").
node tools/test-summary.mjs "$RESULTS_DIR" "${failed[@]}" || true
[ ${#failed[@]} -eq 0 ]
