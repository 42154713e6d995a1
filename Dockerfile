# Multi-stage build. The operator ships self-contained and trimmed: that is what keeps its idle
# RSS under 60 MiB (docs/performance.md). Not built here (no Docker engine on the development
# machines); `make docker-build` elsewhere. `make publish` produces the same binary locally.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props DematOperator.sln ./
COPY src/ src/
RUN dotnet publish src/DematOperator/DematOperator.csproj -c Release -r linux-x64 --self-contained true \
      -p:PublishTrimmed=true -p:TrimMode=partial -p:DebugType=none -o /out

# Chiseled runtime-deps: no shell, no package manager, non-root "app" user. OpenShift's
# restricted-v2 SCC may assign another UID, which works: nothing is written outside /tmp.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /out/ ./
USER $APP_UID
ENV DOTNET_gcServer=0 \
    DOTNET_GCgen0size=0x200000
EXPOSE 8080 8081
ENTRYPOINT ["/app/DematOperator"]
CMD ["run"]
