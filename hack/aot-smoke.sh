#!/usr/bin/env bash
# Smoke test of the shipped form: the Native AOT executable itself (make publish), not the JIT assemblies the unit
# suite loads. Trimming and AOT break code paths that only run at run time (reflection, JSON contracts, generic
# instantiations), so the executable is run as an ops engineer would run it:
#   run       against an emulated cluster, as config/rbac's ServiceAccount, until /readyz answers and a ServiceLevel
#             it was given shows a status it wrote;
#   validate  on the shipped samples (exit 0) and on a broken manifest (exit 1, the field named);
#   sla report on an outage CSV whose figure is computed by hand below.
# Usage: hack/aot-smoke.sh [--no-publish]   (--no-publish reuses artifacts/operator)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="$root/artifacts/operator/DematOperator"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "aot-smoke: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -n 40 "$f" >&2; done; exit 1; }

if [ "${1:-}" != "--no-publish" ]; then
  echo "aot-smoke: publishing the Native AOT executable (make publish)..."
  make -s publish > "$work/publish.log" 2>&1 || fail "make publish"
fi
[ -x "$bin" ] || fail "$bin is missing (run make publish)"
[ "$(find artifacts/operator -name '*.dll' | wc -l)" -eq 0 ] || fail "the published folder holds .dll files: not a single native executable"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# 1. run: one emulated cluster with RBAC enforced and config/rbac applied; the operator authenticates as its
#    ServiceAccount, as deployed.
dotnet build src/DematOperator.Dev -c Release -nologo > "$work/build.log" 2>&1 || fail "building the emulator"
dotnet run --project src/DematOperator.Dev -c Release --no-build -- sim --clusters sbg --rbac --crds config/crd/bases \
  --kubeconfig-out "$work/admin.kubeconfig" --operator-rbac config/rbac --operator-kubeconfig-out "$work/operator.kubeconfig" \
  > "$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do grep -q '^ready' "$work/sim.log" && break; sleep 0.1; done
grep -q '^ready' "$work/sim.log" || fail "the emulator did not start"

probe=$(free_port); metrics=$(free_port)
"$bin" run --kubeconfig "$work/operator.kubeconfig" --context sbg --leader-elect=false \
  --health-probe-bind-address "127.0.0.1:$probe" --metrics-bind-address "127.0.0.1:$metrics" > "$work/operator.log" 2>&1 &
pids+=($!)
ready=""
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$probe/readyz" > /dev/null 2>&1; then ready=yes; break; fi
  kill -0 "${pids[-1]}" 2>/dev/null || fail "the operator exited before /readyz answered"
  sleep 0.1
done
[ -n "$ready" ] || fail "/readyz did not answer within 60 s"
curl -fsS "http://127.0.0.1:$metrics/metrics" | grep -q '^controller_runtime_reconcile_total' || fail "/metrics has no controller_runtime_reconcile_total"

export KUBECONFIG="$work/admin.kubeconfig"
kubectl create namespace smoke > /dev/null
closed=$(free_port)
kubectl apply -f - > /dev/null <<EOF
apiVersion: ops.demat.gouv.fr/v1alpha1
kind: ServiceLevel
metadata: {name: smoke, namespace: smoke}
spec:
  tier: BRONZE
  environment: production
  interval: 30s
  probes:
  - name: closed-port
    tcp: {host: 127.0.0.1, port: $closed}
EOF
kubectl -n smoke wait servicelevel/smoke --for=jsonpath='{.status.observedGeneration}'=1 --timeout=60s > /dev/null \
  || fail "the AOT operator never wrote the ServiceLevel's status"
kubectl -n smoke get servicelevel smoke -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True \
  || fail "the ServiceLevel is not Ready: $(kubectl -n smoke get servicelevel smoke -o jsonpath='{.status.conditions}')"

# 2. validate: the samples are valid; a broken manifest is refused with its field named.
"$bin" validate -f config/samples > "$work/validate.log" 2>&1 || fail "validate refused the shipped samples"
cat > "$work/broken.yaml" <<'EOF'
apiVersion: ops.demat.gouv.fr/v1alpha1
kind: BackupPolicy
metadata: {name: broken, namespace: smoke}
spec:
  schedule: "every four hours"
  rpo: 4h
  method: CSISnapshot
  target: {namespaces: [smoke]}
EOF
set +e
"$bin" validate -f "$work/broken.yaml" > "$work/validate-broken.log" 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || fail "validate exited $status on a broken schedule (expected 1)"
grep -q 'spec.schedule' "$work/validate-broken.log" || fail "validate did not name spec.schedule"

# 3. sla report: BRONZE, November 2026, Europe/Paris, FR holidays. One blocking outage from Tuesday 3 November 17:00
#    to Wednesday 4 November 09:00 Paris: only 17:00-18:00 and 08:00-09:00 fall in BRONZE's service hours (08:00-18:00,
#    Monday-Friday, public holidays excluded: CONTEXT.md). The expected figures are computed here, independently.
cat > "$work/outages.csv" <<'EOF'
start,end,severity
2026-11-03T17:00:00+01:00,2026-11-04T09:00:00+01:00,blocking
EOF
"$bin" sla report --tier BRONZE --month 2026-11 --outages "$work/outages.csv" --format json > "$work/sla.json" 2> "$work/sla.log" \
  || fail "sla report failed"
python3 - "$work/sla.json" <<'EOF' || fail "sla report's figures differ from the hand computation"
import datetime, json, sys
report = json.load(open(sys.argv[1]))
holidays = {datetime.date(2026, 11, 1), datetime.date(2026, 11, 11)}  # Toussaint (a Sunday), Armistice (a Wednesday)
days = [datetime.date(2026, 11, d) for d in range(1, 31)]
service = sum(10 * 3600 for d in days if d.weekday() < 5 and d not in holidays)
downtime = 3600 + 3600
expected = {"serviceSeconds": service, "downtimeSeconds": downtime, "availability": (service - downtime) / service, "met": True}
got = {k: report.get(k) for k in expected}
if service != 20 * 10 * 3600 or got["serviceSeconds"] != service or got["downtimeSeconds"] != downtime \
        or abs(got["availability"] - expected["availability"]) > 1e-9 or got["met"] is not True:
    sys.exit(f"expected {expected}, the executable said {got}")
EOF

echo "aot-smoke: the Native AOT executable ran, became ready, reconciled as its ServiceAccount, validated and reported"
