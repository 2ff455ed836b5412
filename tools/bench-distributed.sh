#!/usr/bin/env bash
# Distributed mode, submit-to-done: N images (the sample photos, copied) through 1 and then 2 worker processes on
# this machine, over the local RabbitMQ + PostgreSQL of scripts/services.sh. Prints one line per worker count.
# On a 2-core machine CPU-bound workers compete for the same cores: expect no speed-up from the second one.
# Usage: tools/bench-distributed.sh [images]     (default 350)
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-350}

eval "$(scripts/services.sh env)"
work=$(mktemp -d)
db=enb_bench_distributed
vhost=enb-bench-distributed
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  curl -fsS -X DELETE "$ENB_RABBITMQ_MANAGEMENT_URL/api/vhosts/$vhost" >/dev/null 2>&1 || true
}
trap cleanup EXIT

dotnet build src/Scheduler -c Release --nologo -v quiet >/dev/null
dotnet build src/Worker -c Release --nologo -v quiet >/dev/null
enb="dotnet src/Scheduler/bin/Release/net10.0/enb.dll"
worker="src/Worker/bin/Release/net10.0/EfficientNet.Batch.Worker.dll"
user=$(printf '%s' "$ConnectionStrings__RabbitMq" | sed -E 's#^amqp://([^:]+):.*#\1#')

mkdir -p "$work/corpus"
i=0
while (( i < images )); do
  for photo in samples/photos/*.jpg samples/photos/*.png; do
    (( i < images )) || break
    cp "$photo" "$work/corpus/$i-$(basename "$photo")"
    i=$((i + 1))
  done
done

for workers in 1 2; do
  "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  curl -fsS -X DELETE "$ENB_RABBITMQ_MANAGEMENT_URL/api/vhosts/$vhost" >/dev/null 2>&1 || true
  curl -fsS -X PUT "$ENB_RABBITMQ_MANAGEMENT_URL/api/vhosts/$vhost" >/dev/null
  curl -fsS -X PUT -H 'content-type: application/json' -d '{"configure":".*","write":".*","read":".*"}' \
    "$ENB_RABBITMQ_MANAGEMENT_URL/api/permissions/$vhost/$user" >/dev/null
  export ConnectionStrings__Postgres="${ConnectionStrings__Postgres/Database=enb/Database=$db}"
  export ConnectionStrings__RabbitMq="${ConnectionStrings__RabbitMq%/}/$vhost"
  $enb migrate >/dev/null
  pids=()
  for ((w = 1; w <= workers; w++)); do
    dotnet "$worker" > "$work/worker$w.log" 2>&1 &
    pids+=("$!")
  done
  for ((w = 1; w <= workers; w++)); do
    timeout 120 bash -c "until grep -q 'Now listening on' '$work/worker$w.log'; do sleep 0.2; done"
  done
  start=$(date +%s.%N)
  $enb submit "$work/corpus" --model models/test/efficientnet_tiny.onnx --shard-size 32 --wait --run-name "bench-$workers" > "$work/submit.log" 2>&1
  end=$(date +%s.%N)
  ok=$("$ENB_PSQL" -d "$db" -tAc "SELECT count(*) FROM predictions")
  per_worker=$("$ENB_PSQL" -d "$db" -tAc "SELECT string_agg(n::text, '+') FROM (SELECT count(*) n FROM shards GROUP BY worker_id) s")
  awk -v w="$workers" -v n="$ok" -v s="$start" -v e="$end" -v pw="$per_worker" \
    'BEGIN { printf "workers=%d images=%d submit_to_done_s=%.1f images_per_s=%.1f shards_per_worker=%s\n", w, n, e - s, n / (e - s), pw }'
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  eval "$(scripts/services.sh env)"
done
