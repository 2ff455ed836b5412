# syntax=docker/dockerfile:1
# Worker image: the .NET 10 runtime on NVIDIA's CUDA 13 + cuDNN 9 runtime image, which ONNX Runtime
# Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31 needs for its CUDA provider (libcudart/libcublas/libcublasLt .so.13,
# libcurand .so.10, cuDNN 9 via dlopen; the driver's libcuda.so.1 comes from the node). Build from the repository root:
#   docker build -f deploy/docker/worker.Dockerfile -t efficientnet-batch-worker:<version> .
# Not built in the project's CI (no Docker engine there): see docs/deploy.md.
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04
ARG DOTNET_SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble
# aspnet, not runtime: it carries both shared frameworks (Microsoft.NETCore.App + Microsoft.AspNetCore.App), and the
# worker serves /health and /metrics over HTTP.
ARG DOTNET_RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble

FROM ${DOTNET_SDK_IMAGE} AS build
WORKDIR /src
# Restore first, from the project files alone, so that code edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Shared/EfficientNet.Batch.Shared.csproj src/Shared/
COPY src/Storage/EfficientNet.Batch.Storage.csproj src/Storage/
COPY src/Worker/EfficientNet.Batch.Worker.csproj src/Worker/
RUN dotnet restore src/Worker/EfficientNet.Batch.Worker.csproj -r linux-x64
COPY src/ src/
RUN dotnet publish src/Worker/EfficientNet.Batch.Worker.csproj -c Release -r linux-x64 --self-contained false \
      --no-restore -o /app

FROM ${DOTNET_RUNTIME_IMAGE} AS dotnet

FROM ${CUDA_IMAGE}
# The .NET runtime's own dependencies on Ubuntu 24.04, as in the runtime-deps:10.0-noble image, less ICU (the projects
# use invariant globalization). The ARG keeps tzdata's installer from prompting and does not persist in the image.
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 libssl3t64 libstdc++6 tzdata zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && groupadd --gid 10001 enb \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin enb \
 && mkdir -p /cache/models && chown 10001:10001 /cache/models
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_NOLOGO=1 \
    ASPNETCORE_HTTP_PORTS=8080
WORKDIR /app
COPY --from=build /app ./
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/EfficientNet.Batch.Worker.dll"]
