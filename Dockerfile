# Multi-stage build. The operator ships as one Native AOT executable (no .NET runtime in the image,
# no emulator: the development tools are src/DematOperator.Dev): docs/performance.md has its
# measured RSS. Not built here (no Docker engine on the development machines); `make docker-build`
# elsewhere. `make publish` produces the same binary locally.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# Native AOT links with the platform toolchain (clang or gcc) and zlib.
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY config/crd/bases/ config/crd/bases/
COPY src/DematOperator/ src/DematOperator/
COPY src/DematOperator.Kube/ src/DematOperator.Kube/
RUN dotnet publish src/DematOperator/DematOperator.csproj -c Release -r linux-x64 \
      -p:PublishAot=true -p:IlcTreatWarningsAsErrors=true -p:TreatWarningsAsErrors=true -p:DebugType=none -o /out

# Chiseled runtime-deps: no shell, no package manager, non-root "app" user; libc, OpenSSL and CA
# certificates are all a native executable needs. OpenShift's restricted-v2 SCC may assign
# another UID, which works: nothing is written outside /tmp.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /out/DematOperator ./DematOperator
USER $APP_UID
# gen0 budget 2 MiB, in hex: Native AOT reads the value without a 0x prefix (with one it is ignored).
ENV DOTNET_GCgen0size=200000
EXPOSE 8080 8081
ENTRYPOINT ["/app/DematOperator"]
CMD ["run"]
