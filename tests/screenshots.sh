#!/usr/bin/env bash
# Loads the journey page and the inspection report from a running `caseline demo` in headless
# Chromium (Debian's `chromium`), takes full-page screenshots into docs/screenshots/, and fails on
# any console error, page error, failed request or non-2xx answer (tests/screenshots.py).
# Usage: tests/screenshots.sh [path/to/caseline]   (needs chromium and the playwright pip package;
# SCREENSHOTS=dir writes elsewhere, PYTHON=path picks the interpreter that has playwright)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/caseline}"
out="${SCREENSHOTS:-docs/screenshots}"
log="$(mktemp)"
"$bin" demo --listen 127.0.0.1:0 --children "${DEMO_CHILDREN:-300}" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do grep -q '^listening on ' "$log" && break; sleep 0.2; done
grep -q '^listening on ' "$log" || { cat "$log"; echo "screenshots: the demo did not start" >&2; exit 1; }
token="$(sed -n 's/^ *front_door token: //p' "$log")"
journey="$(grep -o "http://[^ ]*/journey" "$log" | head -n1)"
report="$(grep -o "http://[^ ']*/v1/reports/inspection[^ ']*" "$log" | head -n1)"
"${PYTHON:-python3}" tests/screenshots.py "$out" "$token" "$journey" "$report"
