#!/usr/bin/env bash
# Runs the whole test suite: unit tests (no I/O) and integration tests (real files, SQLite, ONNX Runtime, libvips).
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category=Faults]
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet build EfficientNet.Batch.sln -c Release --nologo -v quiet
dotnet test EfficientNet.Batch.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
