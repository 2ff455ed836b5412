#!/usr/bin/env bash
# Runs the whole test suite: unit tests (no I/O), integration tests (files, SQLite, ONNX Runtime, libvips, and the
# real RabbitMQ, PostgreSQL and Azurite of scripts/services.sh, headless Debian chromium), and the chart's deploy tests.
# Installs and starts the services first when their settings are not already in the environment; they keep running
# afterwards (scripts/services.sh down stops them).
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category=Faults]
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need() { # need COMMAND WHAT-TO-INSTALL
  command -v "$1" >/dev/null 2>&1 || { echo "test.sh: '$1' is not installed; install $2" >&2; exit 2; }
}
need dotnet "the .NET 10 SDK (Debian/Ubuntu package dotnet-sdk-10.0)"
need npm "Node.js and npm (apt-get install -y npm): they restore the dashboard's Chart.js and fetch Azurite and helm"

if [[ -z "${ConnectionStrings__Postgres:-}" || -z "${ConnectionStrings__RabbitMq:-}" || -z "${ConnectionStrings__Blob:-}"
      || -z "${ENB_RABBITMQ_MANAGEMENT_URL:-}" ]]; then
  scripts/services.sh install
  scripts/services.sh up
  eval "$(scripts/services.sh env)"
fi

# The dashboard tests drive Debian's chromium (never a downloaded browser).
if [[ ! -x /usr/bin/chromium ]]; then
  need apt-get "Debian's chromium yourself (/usr/bin/chromium): the dashboard tests drive it"
  [[ $EUID -eq 0 ]] || { echo "test.sh: /usr/bin/chromium is missing; install it as root: apt-get install -y chromium" >&2; exit 2; }
  echo "test.sh: installing Debian chromium for the dashboard tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver; }
fi

# The embeddings export test reads the .npy file back with NumPy, an independent reader (Debian's python3-numpy).
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  need apt-get "Debian's python3-numpy yourself: the embeddings export test reads .npy files with it"
  [[ $EUID -eq 0 ]] || { echo "test.sh: NumPy is missing for /usr/bin/python3; install it as root: apt-get install -y python3-numpy" >&2; exit 2; }
  echo "test.sh: installing Debian python3-numpy for the embeddings export test"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-numpy ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-numpy; }
fi

dotnet build EfficientNet.Batch.sln -c Release --nologo -v quiet
dotnet test EfficientNet.Batch.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
