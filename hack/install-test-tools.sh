#!/usr/bin/env bash
# The real tools the tests check with: kubectl (the emulator), promtool (metrics and rules), shellcheck (scripts),
# chromium (the HTML report); faketime and stress-ng for the runs docs/testing.md asks before a change lands (an evening
# hour, a loaded machine).
set -euo pipefail
missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
# Chromium renders the HTML report in its test (Debian's package: /usr/bin/chromium).
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v stress-ng >/dev/null 2>&1 || missing+=(stress-ng)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# First lines without `| head`: with pipefail, a tool still writing when head exits dies of SIGPIPE (exit 141).
first_line() {
  local out
  out=$("$@" 2>&1 || true)
  printf '%s\n' "${out%%$'\n'*}"
}
first_line kubectl version --client
first_line promtool --version
out=$(shellcheck --version 2>&1 || true)
out=${out#*$'\n'}
printf '%s\n' "${out%%$'\n'*}"
first_line /usr/bin/chromium --version
