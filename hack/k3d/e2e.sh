#!/usr/bin/env bash
# End-to-end checks on the k3d test bed made by up.sh: the samples apply and validate, a Velero
# BackupPolicy run started with run-now completes on sbg, the backup appears on rbx through the
# shared bucket, a restore on rbx recreates production's objects (the PRA's data path), and a
# PraDrill rehearsal on rbx restores, verifies, reports and gives the test environment back.
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
log "backup on sbg, restore on rbx: ok"

log "PRA rehearsal on rbx"
mkdir -p "$WORKDIR"
# The drill reads sbg from inside rbx: the kubeconfig names sbg's server on the shared Docker network.
kubectl config view --raw --minify --flatten --context "$sbg" \
  | sed -E "s#server: https://[^ ]+#server: https://k3d-sbg-server-0:6443#" >"$WORKDIR/sbg-internal.kubeconfig"
kubectl --context "$rbx" -n dematoperator-system create secret generic sbg-kubeconfig \
  --from-file=kubeconfig="$WORKDIR/sbg-internal.kubeconfig" --dry-run=client -o yaml | kubectl --context "$rbx" apply -f - >/dev/null
kubectl --context "$rbx" create namespace preprod --dry-run=client -o yaml | kubectl --context "$rbx" apply -f - >/dev/null
kubectl --context "$rbx" -n preprod create deployment platau-api --image=registry.k8s.io/pause:3.10 --replicas=2 --dry-run=client -o yaml \
  | kubectl --context "$rbx" apply -f - >/dev/null
kubectl --context "$rbx" apply -f - >/dev/null <<YAML
apiVersion: ops.demat.gouv.fr/v1alpha1
kind: PraDrill
metadata:
  name: pra-e2e
  namespace: dematoperator-system
spec:
  mode: Rehearsal
  objectives: {rto: 2h, rpo: 4h}
  source:
    kubeconfig: {name: sbg-kubeconfig}
    namespaces: [platau-prod]
  backup:
    backupPolicy: platau-velero
    backupPolicyNamespace: platau-prod
    veleroNamespace: $VELERO_NAMESPACE
  quiesce:
    namespaces: [preprod]
  verify:
    timeout: 15m
    workloads: true
YAML
kubectl --context "$rbx" -n dematoperator-system annotate pradrill pra-e2e "ops.demat.gouv.fr/run-now=$stamp" --overwrite >/dev/null
wait_for "the drill ends" 1800 \
  bash -c "kubectl --context $rbx -n dematoperator-system get pradrill pra-e2e -o jsonpath='{.status.lastResult}' | grep -q ."
result=$(kubectl --context "$rbx" -n dematoperator-system get pradrill pra-e2e -o jsonpath='{.status.lastResult}')
[ "$result" = "Succeeded" ] || fail "the drill ended $result: $(kubectl --context "$rbx" -n dematoperator-system get pradrill pra-e2e -o jsonpath='{.status.history[0].message}')"
replicas=$(kubectl --context "$rbx" -n preprod get deployment platau-api -o jsonpath='{.spec.replicas}')
[ "$replicas" = "2" ] || fail "preprod was not given back its 2 replicas (has $replicas)"
wait_for "the restored namespace is rolled back" 300 \
  bash -c "! kubectl --context $rbx get namespace platau-prod"
report=$(kubectl --context "$rbx" -n dematoperator-system get pradrill pra-e2e -o jsonpath='{.status.history[0].report}')
kubectl --context "$rbx" -n dematoperator-system get configmap "$report" -o jsonpath='{.data.report\.md}' | grep -q "Succeeded" \
  || fail "the drill report $report is missing"
log "PASSED: backup on sbg, restore on rbx, PRA rehearsal with rollback"
