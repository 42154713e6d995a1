#!/usr/bin/env bash
# Removes everything up.sh created (clusters, MinIO, network, work directory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/k3d/env.sh
. "$here/env.sh"
require docker "a Docker engine"
require k3d "https://k3d.io"
for cluster in $CLUSTERS; do
  if k3d cluster list "$cluster" >/dev/null 2>&1; then
    log "deleting cluster $cluster"
    k3d cluster delete "$cluster" >/dev/null
  fi
done
docker rm -f demat-minio >/dev/null 2>&1 || true
docker network rm "$NETWORK" >/dev/null 2>&1 || true
rm -rf "$WORKDIR"
log "test bed removed"
