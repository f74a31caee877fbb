#!/usr/bin/env bash
# The Children in Need census checked by the DfE's own rules: a generated council's return is run
# through the community validator (csc-validator-be-cin from PyPI, ruleset cin2025_26) and any
# error row fails. Rule codes ending in Q are queries, listed with why each is legitimate in
# docs/RETURNS.md; they are counted, not failed. Usage: tests/cin-census.sh [path/to/caseline]
#   CIN_CHILDREN (default 1500) and CIN_SEED (default 1) size and pick the council.
#   CIN_VENV (default target/cin-venv) is where the validator is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${1:-target/debug/caseline}"
venv="${CIN_VENV:-target/cin-venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
children="${CIN_CHILDREN:-1500}"
seed="${CIN_SEED:-1}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import cin_validator' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "csc-validator-be-cin==0.1.13" "numpy<2" pytest
fi

store="sqlite://$dir/council.db"
# The 2025-26 collection year: 1 April 2025 to 31 March 2026.
"$bin" init --store "$store" >/dev/null
"$bin" generate --children "$children" --seed "$seed" --end 2026-03-31 --store "$store" >/dev/null
"$bin" returns cin-census --year 2025-26 --la-code 926 --software-code Caseline \
  --store "$store" --out "$dir/cin.xml"

# The validator writes user_report.csv in the working directory and always exits 0: read it.
(cd "$dir" && "$venv/bin/python" -m cin_validator run "$dir/cin.xml" -r cin2025_26 -o >"$dir/validator.log" 2>&1) \
  || { cat "$dir/validator.log"; echo "cin-census: the validator did not run" >&2; exit 1; }
[ -f "$dir/user_report.csv" ] || { cat "$dir/validator.log"; echo "cin-census: no user_report.csv" >&2; exit 1; }

python3 - "$dir/user_report.csv" <<'PY'
import collections, csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
counts = collections.Counter(r["rule_code"] for r in rows)
errors = {c: n for c, n in counts.items() if not c.endswith("Q")}
queries = {c: n for c, n in counts.items() if c.endswith("Q")}
print("cin-census: queries (legitimate, see docs/RETURNS.md):", dict(sorted(queries.items())) or "none")
if errors:
    for r in rows:
        if not r["rule_code"].endswith("Q"):
            print("  ERROR", r["rule_code"], r["LAchildID"], r["columns_affected"], r["value_flagged"], "-", r["rule_description"])
    print("cin-census: the DfE's rules found errors:", dict(sorted(errors.items())))
    sys.exit(1)
print("cin-census: no errors")
PY
