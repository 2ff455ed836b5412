#!/usr/bin/env bash
# Result-writer and planning rates (README's "Other measurements"): runs the storage-at-scale integration tests, which
# assert that every row lands once and reads back exactly, and prints the RATE lines they log. Rates depend on the
# machine and its load (the tests run alone, but other processes on the machine still count): say which.
# Needs the local services for PostgreSQL: scripts/services.sh up.
# Usage: tools/bench-writers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/services.sh env)"
dotnet build tests/EfficientNet.Batch.IntegrationTests -c Release --nologo -v quiet >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
dotnet test tests/EfficientNet.Batch.IntegrationTests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~SqliteResultWriterAtScaleTests|FullyQualifiedName~PostgresStorageAtScaleTests" \
  --logger "console;verbosity=detailed" > "$out" 2>&1 || { cat "$out"; exit 1; }
grep -o 'RATE .*' "$out"
