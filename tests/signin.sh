#!/usr/bin/env bash
# People signing in, end to end, in headless Chromium (Debian's `chromium`) against a real
# OpenID Connect provider (`oidc-provider` from npm, started here: tests/oidc/provider.mjs):
# open a journey page → the provider's login → the journey → the report → sign out → the old
# cookie opens nothing; a person without a mapped group is refused; a link from
# `caseline signin-link` opens the report. Screenshots go to docs/screenshots/signin-*.png.
# Usage: tests/signin.sh [path/to/caseline]   (needs node + npm, chromium and the playwright pip
# package; SCREENSHOTS=dir writes elsewhere, PYTHON=path picks the interpreter with playwright,
# OIDC_DIR=dir is where oidc-provider is installed, default target/oidc-provider)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/caseline}"
out="${SCREENSHOTS:-docs/screenshots}"
oidc_dir="${OIDC_DIR:-target/oidc-provider}"
python="${PYTHON:-python3}"

# The provider, from the npm registry (pinned major), installed once beside the build.
mkdir -p "$oidc_dir"
# A package.json of its own, so npm installs here and not into some parent's project.
[ -f "$oidc_dir/package.json" ] || echo '{ "name": "caseline-test-oidc", "private": true, "type": "module" }' >"$oidc_dir/package.json"
if [ ! -d "$oidc_dir/node_modules/oidc-provider" ]; then
  (cd "$oidc_dir" && npm install --silent --no-audit --no-fund --no-save "oidc-provider@8.8.1" >/dev/null)
fi
cp tests/oidc/provider.mjs "$oidc_dir/provider.mjs"

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
app_port="$(free_port)"
idp_port="$(free_port)"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

secret="test-secret-$RANDOM$RANDOM"
PORT="$idp_port" REDIRECT_URI="http://127.0.0.1:$app_port/signin/callback" CLIENT_SECRET="$secret" \
  node "$oidc_dir/provider.mjs" >"$work/idp.log" 2>&1 &
pids+=($!)

store="sqlite://$work/caseline.db"
"$bin" init --store "$store" >/dev/null
"$bin" generate --children 20 --store "$store" >/dev/null
"$bin" export --store "$store" >"$work/events.ndjson"
child="$("$python" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["child_id"])' "$work/events.ndjson")"

for _ in $(seq 1 100); do grep -q '^oidc provider listening' "$work/idp.log" && break; sleep 0.1; done
grep -q '^oidc provider listening' "$work/idp.log" || { cat "$work/idp.log"; echo "signin: the provider did not start" >&2; exit 1; }

CASELINE_OIDC_ISSUER="http://localhost:$idp_port" \
CASELINE_OIDC_CLIENT_ID=caseline \
CASELINE_OIDC_CLIENT_SECRET="$secret" \
CASELINE_OIDC_SCOPES="openid profile groups" \
CASELINE_OIDC_MAP="caseline-auditors=auditor:council:audit,caseline-inspectors=inspector:ofsted:inspection" \
  "$bin" serve --listen "127.0.0.1:$app_port" --store "$store" --log-format json >"$work/app.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q '^listening on ' "$work/app.log" && break; sleep 0.1; done
grep -q '^listening on ' "$work/app.log" || { cat "$work/app.log"; echo "signin: caseline did not start" >&2; exit 1; }

base="http://127.0.0.1:$app_port"
link="$("$bin" signin-link --role inspector --agency ofsted:inspection --name "Ida Inspector" \
  --store "$store" --listen "127.0.0.1:$app_port" --next /v1/reports/inspection)"
status=0
"$python" tests/signin.py "$out" "$base" "$child" "$link" || status=$?
if [ "$status" != 0 ]; then
  echo "--- caseline log" >&2; tail -n 30 "$work/app.log" >&2
  echo "--- provider log" >&2; tail -n 30 "$work/idp.log" >&2
  exit "$status"
fi
# Every page the people opened is in the request log under their name and session.
grep -q '"person":"Ann Auditor"' "$work/app.log" || { echo "signin: no request logged under Ann Auditor's name" >&2; exit 1; }
echo "signin: every step passed"
