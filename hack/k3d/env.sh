#!/usr/bin/env bash
# Shared settings of the k3d harness; every value can be overridden from the environment.
# shellcheck disable=SC2034  # sourced by the other scripts
NETWORK=${NETWORK:-demat-pra}
CLUSTERS=${CLUSTERS:-"sbg rbx"}
IMG=${IMG:-dematoperator:e2e}
MINIO_IMAGE=${MINIO_IMAGE:-quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z}
MC_IMAGE=${MC_IMAGE:-quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z}
MINIO_USER=${MINIO_USER:-demat}
MINIO_PASSWORD=${MINIO_PASSWORD:-demat-pra-secret}
BUCKET=${BUCKET:-demat-pra}
SNAPSHOTTER_VERSION=${SNAPSHOTTER_VERSION:-v8.2.1}
HOSTPATH_VERSION=${HOSTPATH_VERSION:-v1.16.1}
VELERO_AWS_PLUGIN=${VELERO_AWS_PLUGIN:-velero/velero-plugin-for-aws:v1.12.1}
VELERO_NAMESPACE=${VELERO_NAMESPACE:-openshift-adp}
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/demat-k3d}

log() { printf '[k3d-harness] %s\n' "$*" >&2; }

require() {
  if ! command -v "$1" >/dev/null 2>&1; then
    log "missing $1: $2"
    exit 1
  fi
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: retries COMMAND every 5 s until it succeeds.
wait_for() {
  local what=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 5
  done
  log "ok: $what"
}
