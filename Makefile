# DematOperator: the usual operator targets.
IMG ?= dematoperator:latest
DOTNET ?= dotnet
KUBECTL ?= kubectl
SANDBOX_ARGS ?=

.PHONY: build test mutation smoke-aot run sandbox sim manifests publish publish-jit docker-build docker-push deploy undeploy e2e-k3d bench clean

build:
	$(DOTNET) build DematOperator.sln -c Release

## The test command of the README (and of CI): every test, with a summary line, then the shipped Native AOT executable
## itself run against the emulator (hack/aot-smoke.sh: the unit suite loads JIT assemblies, never the executable).
test:
	hack/install-test-tools.sh >/dev/null
	hack/test.sh
	hack/aot-smoke.sh

## Mutation testing (Stryker.NET, pinned in dotnet-tools.json) of the decisions the contract rests on, against the pure
## unit tests (tests/DematOperator.Unit.Tests, whose stryker-config.json lists the modules). Fails when any module scores
## below 85 %. Reports: artifacts/mutation/reports/mutation-report.html and .json.
mutation:
	$(DOTNET) tool restore
	rm -rf artifacts/mutation
	cd tests/DematOperator.Unit.Tests && $(DOTNET) tool run dotnet-stryker --output ../../artifacts/mutation
	hack/mutation-scores.py artifacts/mutation/reports/mutation-report.json 85

## The published Native AOT executable itself, run against the emulator (hack/aot-smoke.sh).
smoke-aot:
	hack/aot-smoke.sh

## The run command of the README: the operator on two embedded emulated clusters.
## The sandbox, the emulator and the manifest generator are development tools (src/DematOperator.Dev),
## never part of the shipped operator.
run sandbox:
	@echo "Building the sandbox (the first build takes a minute or two; its output goes to .sandbox/build.log)..."
	@mkdir -p .sandbox && $(DOTNET) build src/DematOperator.Dev -c Release -nologo > .sandbox/build.log 2>&1 || (cat .sandbox/build.log; exit 1)
	@echo "Starting two emulated clusters, the CRDs, the samples and one operator per cluster..."
	$(DOTNET) run --project src/DematOperator.Dev -c Release --no-build -- sandbox $(SANDBOX_ARGS)

sim:
	$(DOTNET) run --project src/DematOperator.Dev -c Release -- sim --kubeconfig-out .sandbox/sim-kubeconfig --crds config/crd/bases

## Regenerate config/crd from the C# types (a test fails when they drift).
manifests:
	$(DOTNET) run --project src/DematOperator.Dev -c Release -- manifests --crd-dir config/crd/bases --rules-file config/prometheus/servicelevels.yaml

## The shipped form: one Native AOT executable, no .dll beside it; a trim or AOT warning fails the build
## (measured: docs/performance.md). publish-jit is the previous form, for comparison in the benchmarks.
publish:
	rm -rf artifacts/operator
	$(DOTNET) publish src/DematOperator/DematOperator.csproj -c Release -r linux-x64 \
	  -p:PublishAot=true -p:IlcTreatWarningsAsErrors=true -p:TreatWarningsAsErrors=true -p:DebugType=none -o artifacts/operator

publish-jit:
	rm -rf artifacts/operator-jit
	$(DOTNET) publish src/DematOperator/DematOperator.csproj -c Release -r linux-x64 --self-contained true \
	  -p:PublishTrimmed=true -p:TrimMode=partial -p:DebugType=none -o artifacts/operator-jit

docker-build:
	docker build -t $(IMG) .

docker-push:
	docker push $(IMG)

deploy:
	cd config/manager && $(KUBECTL) kustomize . >/dev/null
	$(KUBECTL) apply -k config/default

undeploy:
	$(KUBECTL) delete -k config/default --ignore-not-found

## Two real k3d clusters with Velero, MinIO and CSI snapshots (needs Docker and internet: hack/k3d/README.md).
e2e-k3d: publish
	hack/k3d/up.sh
	hack/k3d/e2e.sh

bench: publish publish-jit
	$(DOTNET) run --project bench/DematOperator.Bench -c Release -- all

clean:
	$(DOTNET) clean DematOperator.sln
	rm -rf .sandbox
