#!/usr/bin/env bash
# Planning at scale (issue 3): `enb submit` of a manifest of N keys into PostgreSQL + RabbitMQ (image rows, shard
# rows, one message per shard), timed, with peak RSS, for two corpus sizes so that memory growth shows.
# Needs the local services: scripts/services.sh up. Uses its own database and RabbitMQ virtual host, dropped at the end.
# Usage: tools/bench-planning.sh [small_keys] [large_keys]      (defaults 200000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
small=${1:-200000}
large=${2:-1000000}

eval "$(scripts/services.sh env)"
work=$(mktemp -d)
db=enb_bench_planning
vhost=enb-bench-planning
trap 'rm -rf "$work"; "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; curl -fsS -X DELETE "$ENB_RABBITMQ_MANAGEMENT_URL/api/vhosts/$vhost" >/dev/null 2>&1 || true' EXIT

dotnet build src/Scheduler -c Release --nologo -v quiet >/dev/null
enb="dotnet src/Scheduler/bin/Release/net10.0/enb.dll"
user=$(printf '%s' "$ConnectionStrings__RabbitMq" | sed -E 's#^amqp://([^:]+):.*#\1#')

run() { # keys
  local keys=$1
  "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  curl -fsS -X DELETE "$ENB_RABBITMQ_MANAGEMENT_URL/api/vhosts/$vhost" >/dev/null 2>&1 || true
  curl -fsS -X PUT "$ENB_RABBITMQ_MANAGEMENT_URL/api/vhosts/$vhost" >/dev/null
  curl -fsS -X PUT -H 'content-type: application/json' -d '{"configure":".*","write":".*","read":".*"}' \
    "$ENB_RABBITMQ_MANAGEMENT_URL/api/permissions/$vhost/$user" >/dev/null
  seq -f "images/%09g.jpg" 1 "$keys" > "$work/manifest.txt"
  export ConnectionStrings__Postgres="${ConnectionStrings__Postgres/Database=enb/Database=$db}"
  export ConnectionStrings__RabbitMq="${ConnectionStrings__RabbitMq%/}/$vhost"
  $enb migrate >/dev/null
  /usr/bin/time -f "%e %M" -o "$work/time" $enb submit "manifest:$work/manifest.txt" --model models/test/efficientnet_tiny.onnx \
    --run-name "bench-$keys" > /dev/null 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
  read -r seconds rss_kb < "$work/time"
  shards=$("$ENB_PSQL" -d "$db" -tAc "SELECT count(*) FROM shards")
  images=$("$ENB_PSQL" -d "$db" -tAc "SELECT count(*) FROM images")
  queued=$("$ENB_RABBITMQCTL" list_queues -p "$vhost" name messages 2>/dev/null | awk '$1=="process-shard"{print $2}')
  echo "keys=$keys images=$images shards=$shards published_in_queue=${queued:-?} seconds=$seconds peak_rss_mb=$((rss_kb / 1024))"
  eval "$(scripts/services.sh env)"
}

echo "== planning benchmark on $(nproc) cores"
run "$small"
run "$large"
