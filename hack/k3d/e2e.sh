#!/usr/bin/env bash
# End-to-end checks on the k3d test bed made by up.sh: the samples apply and validate, a Velero
# BackupPolicy run started with run-now completes on sbg, the backup appears on rbx through the
# shared bucket, and a restore on rbx recreates production's objects (the PRA's data path).
# The PraDrill itself is checked here once its controller exists (issue #7).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=hack/k3d/env.sh
. "$here/env.sh"
require kubectl "the Kubernetes client"
sbg=k3d-sbg
rbx=k3d-rbx

fail() {
  log "FAILED: $*"
  exit 1
}

log "validating the samples offline"
"$root/artifacts/operator/DematOperator" validate -f "$root/config/samples" >/dev/null 2>&1 \
  || dotnet run --project "$root/src/DematOperator" -- validate -f "$root/config/samples" >/dev/null \
  || fail "the samples do not validate"

kubectl --context "$sbg" create namespace platau-prod --dry-run=client -o yaml | kubectl --context "$sbg" apply -f - >/dev/null
kubectl --context "$sbg" -n platau-prod apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: platau-settings
  labels: {app.kubernetes.io/name: platau}
data:
  marker: e2e
YAML
kubectl --context "$sbg" apply -f "$root/config/samples/backuppolicy-platau-velero.yaml" >/dev/null

wait_for "BackupPolicy platau-velero Ready" 120 \
  bash -c "kubectl --context $sbg -n platau-prod get bp platau-velero -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"

stamp=$(date +%s)
kubectl --context "$sbg" -n platau-prod annotate bp platau-velero "ops.demat.gouv.fr/run-now=$stamp" --overwrite >/dev/null
wait_for "run-now acknowledged" 60 \
  bash -c "kubectl --context $sbg -n platau-prod get bp platau-velero -o jsonpath='{.status.lastRunNowRequest}' | grep -qx $stamp"
wait_for "the Velero backup completes and the RPO is met" 900 \
  bash -c "kubectl --context $sbg -n platau-prod get bp platau-velero -o jsonpath='{.status.conditions[?(@.type==\"RecoveryPointObjectiveMet\")].status}' | grep -qx True"
backup=$(kubectl --context "$sbg" -n platau-prod get bp platau-velero -o jsonpath='{.status.lastRun.name}')
[ -n "$backup" ] || fail "no last run recorded"
log "backup $backup completed on sbg"

wait_for "backup $backup visible on rbx (shared bucket)" 600 \
  kubectl --context "$rbx" -n "$VELERO_NAMESPACE" get backups.velero.io "$backup"

restore="e2e-$stamp"
kubectl --context "$rbx" -n "$VELERO_NAMESPACE" apply -f - >/dev/null <<YAML
apiVersion: velero.io/v1
kind: Restore
metadata:
  name: $restore
spec:
  backupName: $backup
  includedNamespaces: [platau-prod]
  namespaceMapping: {platau-prod: platau-e2e-$stamp}
YAML
wait_for "restore $restore completes on rbx" 900 \
  bash -c "kubectl --context $rbx -n $VELERO_NAMESPACE get restores.velero.io $restore -o jsonpath='{.status.phase}' | grep -qx Completed"
marker=$(kubectl --context "$rbx" -n "platau-e2e-$stamp" get configmap platau-settings -o jsonpath='{.data.marker}')
[ "$marker" = "e2e" ] || fail "the restored ConfigMap is missing or wrong"

kubectl --context "$rbx" delete namespace "platau-e2e-$stamp" --wait=false >/dev/null
log "PASSED: backup on sbg, restore on rbx"
