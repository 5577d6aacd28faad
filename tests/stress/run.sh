#!/usr/bin/env bash
# ./build.sh stress: the attack and fault suite at full scale (the NUnit tests in tests/Stress, which
# `./build.sh test` runs at quick scale). Prints one line per scenario with its counts and a total.
set -uo pipefail
BIN=${1:?usage: run.sh BIN_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REPORT=$(mktemp)
LOG=$(mktemp)
trap 'rm -f "$REPORT" "$LOG"' EXIT
scale=1; [ "${2:-}" = "--quick" ] && scale=0
start=$(date +%s)
CDM_BIN_DIR=$BIN STRESS_FULL=$scale STRESS_REPORT=$REPORT \
  dotnet test "$ROOT/tests/CoreDump.Tests.csproj" -c Release -v q --nologo --filter "TestCategory=Stress" \
  --logger "console;verbosity=normal" >"$LOG" 2>&1
echo "scenario                           figures"
sort "$REPORT"
awk '{for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^(tried|lost|corrupt|escaped)$/) t[kv[1]] += kv[2] } }
     END { printf "%-34s tried=%d lost=%d corrupt=%d escaped=%d\n", "TOTAL", t["tried"], t["lost"], t["corrupt"], t["escaped"] }' "$REPORT"
grep -E '^\s+Failed ' "$LOG" | sed 's/^/FAILED: /'
total=$(grep -E '^Total tests:' "$LOG" | tail -n 1 | grep -oE '[0-9]+')
[ -n "$total" ] || { tail -n 30 "$LOG"; echo "0 passed, 1 failed"; exit 1; }
p=$(grep -E '^\s+Passed:\s+[0-9]+' "$LOG" | tail -n 1 | grep -oE '[0-9]+'); f=$(grep -E '^\s+Failed:\s+[0-9]+' "$LOG" | tail -n 1 | grep -oE '[0-9]+')
p=${p:-0}; f=${f:-0}
echo "stress took $(( $(date +%s) - start )) s"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
