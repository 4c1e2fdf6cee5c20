#!/usr/bin/env bash
# Makes Debian's Chromium available for the browser tests (apt, as root), if missing.
# Prints the path on success; exits 1 with a reason otherwise.
set -uo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then echo "$CHROMIUM"; exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[chromium] installing Debian chromium with apt-get" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 || true
fi
if [ -x "$CHROMIUM" ]; then echo "$CHROMIUM"; exit 0; fi
echo "[chromium] no Chromium at $CHROMIUM (install Debian's 'chromium' package or set CHROMIUM_PATH)" >&2
exit 1
