#!/usr/bin/env bash
# Load test: 40,000 small images (variants of the sample photos) through 2 worker processes on the local RabbitMQ +
# PostgreSQL of scripts/services.sh, with each worker's RSS sampled every second and the database's and broker's
# connections sampled every 2 s. Prints the figures: throughput, peak RSS, RSS slope over the second half (MB/min and
# KB per image), PostgreSQL backends and RabbitMQ connections/channels at start, mid-run and end.
# It is the test Category=Load of the integration tests (also run by scripts/test.sh and .ci/run); about 2-3 minutes here.
# Usage: tools/load-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${ConnectionStrings__Postgres:-}" || -z "${ConnectionStrings__RabbitMq:-}" ]]; then
  scripts/services.sh up >&2
  eval "$(scripts/services.sh env)"
fi

dotnet build EfficientNet.Batch.sln -c Release --nologo -v quiet >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test tests/EfficientNet.Batch.IntegrationTests -c Release --no-build --nologo --filter Category=Load \
  --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
grep -E '^ (corpus|run|worker pid|postgres backends|rabbitmq connections)' "$log" | sort -u
grep -E '^\s+(Passed|Failed) ' "$log" || true
if [[ $status -ne 0 ]]; then
  grep -A8 'Error Message' "$log" >&2 || tail -40 "$log" >&2
fi
exit $status
