#!/usr/bin/env bash
# Creates the two-cluster test bed: k3d clusters sbg (production) and rbx (acceptance + recovery
# site) on one Docker network, a MinIO bucket both Veleros share (as SBG and RBX share an S3
# bucket), the CSI snapshot CRDs and controller with the hostpath driver, Velero in the OADP
# namespace, and the operator built, imported and deployed with kustomize. Idempotent: rerun it to
# converge.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=hack/k3d/env.sh
. "$here/env.sh"

require docker "a Docker engine"
require k3d "https://k3d.io"
require kubectl "the Kubernetes client"
require velero "the Velero CLI (https://velero.io/docs/main/basic-install/)"
require git "to fetch the CSI hostpath driver's deployment scripts"
mkdir -p "$WORKDIR"

if ! docker network inspect "$NETWORK" >/dev/null 2>&1; then
  log "creating Docker network $NETWORK"
  docker network create "$NETWORK" >/dev/null
fi

if ! docker inspect demat-minio >/dev/null 2>&1; then
  log "starting MinIO"
  docker run -d --name demat-minio --network "$NETWORK" \
    -e MINIO_ROOT_USER="$MINIO_USER" -e MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" \
    "$MINIO_IMAGE" server /data >/dev/null
fi
wait_for "MinIO bucket $BUCKET" 120 docker run --rm --network "$NETWORK" --entrypoint sh "$MC_IMAGE" -c \
  "mc alias set m http://demat-minio:9000 '$MINIO_USER' '$MINIO_PASSWORD' && mc mb --ignore-existing m/$BUCKET"

credentials="$WORKDIR/velero-credentials"
printf '[default]\naws_access_key_id=%s\naws_secret_access_key=%s\n' "$MINIO_USER" "$MINIO_PASSWORD" >"$credentials"
chmod 600 "$credentials"

hostpath="$WORKDIR/csi-driver-host-path"
if [ ! -d "$hostpath/.git" ]; then
  git clone --quiet --depth 1 --branch "$HOSTPATH_VERSION" https://github.com/kubernetes-csi/csi-driver-host-path.git "$hostpath"
fi

log "building $IMG"
docker build --quiet -t "$IMG" "$root" >/dev/null

for cluster in $CLUSTERS; do
  context="k3d-$cluster"
  if ! k3d cluster list "$cluster" >/dev/null 2>&1; then
    log "creating cluster $cluster"
    k3d cluster create "$cluster" --network "$NETWORK" --wait --timeout 300s >/dev/null
  fi
  kubectl config use-context "$context" >/dev/null

  log "$cluster: CSI snapshot CRDs and controller ($SNAPSHOTTER_VERSION)"
  kubectl --context "$context" apply -k "https://github.com/kubernetes-csi/external-snapshotter/client/config/crd?ref=$SNAPSHOTTER_VERSION" >/dev/null
  kubectl --context "$context" apply -k "https://github.com/kubernetes-csi/external-snapshotter/deploy/kubernetes/snapshot-controller?ref=$SNAPSHOTTER_VERSION" >/dev/null
  if ! kubectl --context "$context" get csidriver hostpath.csi.k8s.io >/dev/null 2>&1; then
    log "$cluster: CSI hostpath driver ($HOSTPATH_VERSION)"
    (cd "$hostpath" && ./deploy/kubernetes-latest/deploy.sh >/dev/null)
  fi
  kubectl --context "$context" apply -f "$hostpath/examples/csi-storageclass.yaml" >/dev/null
  kubectl --context "$context" apply -f "$hostpath/examples/csi-volumesnapshotclass.yaml" >/dev/null

  if ! kubectl --context "$context" get deploy velero -n "$VELERO_NAMESPACE" >/dev/null 2>&1; then
    log "$cluster: Velero in $VELERO_NAMESPACE, bucket $BUCKET shared with the other cluster"
    velero install --kubecontext "$context" --namespace "$VELERO_NAMESPACE" \
      --provider aws --plugins "$VELERO_AWS_PLUGIN" --bucket "$BUCKET" \
      --secret-file "$credentials" --use-volume-snapshots=false --features=EnableCSI --use-node-agent \
      --backup-location-config "region=minio,s3ForcePathStyle=true,s3Url=http://demat-minio:9000" >/dev/null
  fi
  wait_for "$cluster: Velero available" 300 kubectl --context "$context" -n "$VELERO_NAMESPACE" rollout status deploy/velero --timeout=10s

  log "$cluster: operator $IMG"
  k3d image import "$IMG" --cluster "$cluster" >/dev/null
  kubectl --context "$context" kustomize "$root/config/default" \
    | sed "s#image: dematoperator:latest#image: $IMG#" \
    | kubectl --context "$context" apply -f - >/dev/null
  wait_for "$cluster: operator rolled out" 300 kubectl --context "$context" -n dematoperator-system rollout status deploy/dematoperator --timeout=10s
done
log "test bed ready: contexts $(for c in $CLUSTERS; do printf 'k3d-%s ' "$c"; done)"
