# syntax=docker/dockerfile:1
# Scheduler image: the `enb` CLI on the ASP.NET Core runtime image. The same image runs the service
# (`serve --urls http://0.0.0.0:8080`), the migrations (`migrate`) and one-off commands (`submit`, `status`, ...).
# Build from the repository root:
#   docker build -f deploy/docker/scheduler.Dockerfile -t efficientnet-batch-scheduler:<version> .
# Not built in the project's CI (no Docker engine there): see docs/deploy.md.
ARG DOTNET_SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble
ARG DOTNET_RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble

FROM ${DOTNET_SDK_IMAGE} AS build
# npm restores the dashboard's Chart.js (src/Scheduler/Dashboard/package-lock.json) during the build.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Shared/EfficientNet.Batch.Shared.csproj src/Shared/
COPY src/Storage/EfficientNet.Batch.Storage.csproj src/Storage/
COPY src/Worker/EfficientNet.Batch.Worker.csproj src/Worker/
COPY src/Scheduler/EfficientNet.Batch.Scheduler.csproj src/Scheduler/
RUN dotnet restore src/Scheduler/EfficientNet.Batch.Scheduler.csproj -r linux-x64
COPY src/ src/
# The bundled test model is the default of `enb label` (embedded mode); the project copies it to the output.
COPY models/ models/
# This image has no CUDA, so ONNX Runtime's GPU providers (~285 MB, pulled in through the Worker project for embedded
# mode) could never load here; removing them leaves inference in this image on the CPU provider.
RUN dotnet publish src/Scheduler/EfficientNet.Batch.Scheduler.csproj -c Release -r linux-x64 --self-contained false \
      --no-restore -o /app \
 && rm -f /app/libonnxruntime_providers_cuda.so /app/libonnxruntime_providers_tensorrt.so

FROM ${DOTNET_RUNTIME_IMAGE}
ENV DOTNET_NOLOGO=1
WORKDIR /app
COPY --from=build /app ./
# The non-root user `app` of the .NET images, by number (APP_UID=1654) so that Kubernetes can verify runAsNonRoot.
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/enb.dll"]
CMD ["serve", "--urls", "http://0.0.0.0:8080"]
