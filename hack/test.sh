#!/usr/bin/env bash
# Runs every test project and ends with one summary line "N passed, N failed" over all of them.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
log=$(mktemp)
dotnet test DematOperator.sln -c Release --nologo -p:TreatWarningsAsErrors=false "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then echo "no test ran"; status=1; fi
echo "tests: $passed passed, $failed failed"
exit "$status"
