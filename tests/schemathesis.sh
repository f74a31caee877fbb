#!/usr/bin/env bash
# Schemathesis against the real server: generated requests from /openapi.json, with a valid token
# of each role, must never get a 5xx, and every answer must match the documented schema, status
# codes and content types. Usage: tests/schemathesis.sh [path/to/caseline]
#   SCHEMATHESIS_MAX_EXAMPLES (default 10) sets the examples per operation.
#   SCHEMATHESIS (default: `st` on PATH) names the schemathesis command.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-target/debug/caseline}"
st="${SCHEMATHESIS:-st}"
max="${SCHEMATHESIS_MAX_EXAMPLES:-10}"
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

store="sqlite://$dir/caseline.db"
"$bin" init --store "$store"
admin="$("$bin" token create --role admin --agency council:admin --name schemathesis --store "$store" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
# Limits high enough that fuzzing measures the API, not the rate limiter.
"$bin" serve --listen 127.0.0.1:0 --store "$store" --rate-per-second 100000 --rate-burst 100000 \
  --la-code 926 --log-format json >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$dir/log" && break; sleep 0.1; done
base="$(sed -n 's/^listening on //p' "$dir/log" | head -n1)"
[ -n "$base" ] || { cat "$dir/log"; echo "schemathesis: the server did not start" >&2; exit 1; }

token() {
  curl -sf -X POST "$base/v1/tokens" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"agency\":\"$2\",\"role\":\"$1\",\"name\":\"schemathesis\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# A `min_position` beyond the store's last event is answered 503 once the read wait runs out, as
# documented: right for a client, but a generated one is nearly always beyond a fresh store's
# last event. It is pinned to 0 here (its validation and its 503 are black-box tested in
# tests/it/consistency.rs).
cat >"$dir/schemathesis.toml" <<'TOML'
[parameters]
"query.min_position" = "0"
TOML

status=0
for who in "front_door front_door:norfolk-mash" "auditor council:audit" "recorder school:norwich-high" \
           "inspector ofsted:inspection" "admin council:admin"; do
  set -- $who
  if [ "$1" = admin ]; then t="$admin"; else t="$(token "$1" "$2")"; fi
  echo "schemathesis: as $1 ($2)"
  "$st" --config-file "$dir/schemathesis.toml" run "$base/openapi.json" -H "Authorization: Bearer $t" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --phases examples,fuzzing --max-examples "$max" --seed 1 --no-color || status=1
done

if grep -q '"status":5[0-9][0-9]' "$dir/log"; then
  echo "schemathesis: the server logged a 5xx:" >&2
  grep '"status":5[0-9][0-9]' "$dir/log" | head -n 20 >&2
  status=1
fi
exit "$status"
