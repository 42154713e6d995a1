# Multi-stage build: SDK to publish, ASP.NET Core runtime (Kestrel serves /metrics and probes) to run.
# Not built here (no Docker engine on the development machines); `make docker-build` elsewhere.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props DematOperator.sln ./
COPY src/ src/
RUN dotnet publish src/DematOperator/DematOperator.csproj -c Release -o /out \
      -p:PublishReadyToRun=true -p:InvariantGlobalization=true -p:DebugType=none

# Chiseled image: no shell, no package manager, runs as the non-root "app" user; OpenShift's
# restricted-v2 SCC may still assign another UID, which works since nothing is written outside /tmp.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /out/ ./
USER $APP_UID
ENV DOTNET_gcServer=0 \
    DOTNET_GCgen0size=0x400000 \
    DOTNET_TieredPGO=1
EXPOSE 8080 8081
ENTRYPOINT ["dotnet", "DematOperator.dll"]
CMD ["run"]
