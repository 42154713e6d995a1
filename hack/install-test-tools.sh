#!/usr/bin/env bash
# The real clients the tests check the emulator and the metrics with: kubectl and promtool.
set -euo pipefail
missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
kubectl version --client 2>/dev/null | head -1
promtool --version 2>/dev/null | head -1
