#!/usr/bin/env bash
# The evidence behind docs/testing.md: the whole suite at four wall-clock instants (faketime, Europe/Paris
# evenings, weekends, a holiday and the autumn DST night) and three times beside two CPU hogs.
# Prints one Markdown table row per run. Not part of `make test`: it takes about 25 minutes.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
missing=()
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v stress-ng >/dev/null 2>&1 || missing+=(stress-ng)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
hack/install-test-tools.sh >/dev/null
dotnet build DematOperator.sln -c Release --nologo -v q >/dev/null || exit 2

status=0
logs=${TEST_MATRIX_LOGS:-$(mktemp -d)}
mkdir -p "$logs"
runs=0
# run LABEL COMMAND...: the suite (already built) under COMMAND; one row with its summary line and duration.
run() {
  local label=$1 started summary log
  shift
  runs=$((runs + 1))
  log="$logs/run-$runs.log"
  started=$(date +%s)
  "$@" hack/test.sh --no-build >"$log" 2>&1
  summary=$(tail -n 1 "$log")
  case "$summary" in *" 0 failed"*) ;; *) status=1 ;; esac
  printf '| %s | %s | %s s |\n' "$label" "$summary" "$(( $(date +%s) - started ))"
}

echo "| run | result | duration |"
echo "|---|---|---|"
# UTC instants: Sunday 6 Dec 2026 23:30 Paris; Saturday 5 Dec 2026 19:30 Paris; 1 Jan 2027 10:00 Paris (a holiday);
# 25 Oct 2026 02:30 Paris, first pass of the hour the autumn change repeats.
for instant in "2026-12-06 22:30:00" "2026-12-05 18:30:00" "2027-01-01 09:00:00" "2026-10-25 00:30:00"; do
  run "faketime '$instant' UTC" env TZ=UTC faketime "$instant"
done
for i in 1 2 3; do
  stress-ng --cpu 2 --timeout 1800s >/dev/null 2>&1 &
  hogs=$!
  run "beside two CPU hogs (stress-ng --cpu 2), run $i" env
  kill "$hogs" 2>/dev/null
  wait "$hogs" 2>/dev/null
done
echo "full logs: $logs" >&2
exit "$status"
