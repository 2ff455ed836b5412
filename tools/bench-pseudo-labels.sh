#!/usr/bin/env bash
# Pseudo-label selection at scale (issue 6): N synthetic teacher predictions (1000 classes, top-10, skewed confidences)
# generated inside PostgreSQL, then `enb pseudo-label select` over them, timed, with the CLI's peak RSS (the selection
# runs in SQL: the process should stay flat whatever N) and the server's temp-file bytes (spills of its sorts/hashes),
# once sampling classes down and once duplicating them.
# Needs the local services: scripts/services.sh up. Uses its own database, dropped at the end.
# With --sqlite: the same over an embedded SQLite file (predictions written by python3's sqlite3 module).
# Usage: tools/bench-pseudo-labels.sh [--sqlite] [predictions...]      (default 1000000 3000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sqlite=false
if [ "${1:-}" = "--sqlite" ]; then sqlite=true; shift; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 3000000)

eval "$(scripts/services.sh env)"
work=$(mktemp -d)
db=enb_bench_pseudo
trap 'rm -rf "$work"; "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

dotnet build src/Scheduler -c Release --nologo -v quiet >/dev/null
enb="dotnet src/Scheduler/bin/Release/net10.0/enb.dll"

run_sqlite() { # predictions
  local n=$1 file="$work/bench.db"
  rm -f "$file"*
  $enb migrate --db "$file" >/dev/null
  local t0=$SECONDS
  python3 - "$file" "$n" <<'PY'
import random, sqlite3, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
random.seed(42)
db = sqlite3.connect(path)
run = "00000000-0000-7000-8000-000000000001".upper()
db.execute("INSERT INTO models (name, uri, sha256, spec_json, created_at) VALUES ('bench_teacher', 'file:///bench.onnx', ?, '{}', '2026-01-01 00:00:00')", ("ab" * 32,))
db.execute("INSERT INTO runs (id, name, kind, model_id, source, status, top_k, store_embeddings, store_full_distribution, error_budget, shard_size, created_at, finished_at) "
           "VALUES (?, 'bench-teacher', 'teacher', 1, '/bench', 'completed', 10, 0, 0, 0.01, 256, '2026-01-01 00:00:00', '2026-01-01 00:00:00')", (run,))
db.executemany("INSERT INTO images (id, source, key) VALUES (?, '/bench', ?)", ((i, f"img/{i:09d}.jpg") for i in range(1, n + 1)))
def rows():
    for i in range(1, n + 1):
        c, p = random.randrange(1000), 0.05 + 0.95 * random.random() ** 0.5
        rest = [(1 - p) * f for f in (0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04, 0.02)]
        yield (run, i, struct.pack("<10i", *[(c + k) % 1000 for k in range(10)]), struct.pack("<10f", p, *rest), "2026-01-01 00:00:00")
db.executemany("INSERT INTO predictions (run_id, image_id, top_indices, top_probabilities, created_at) VALUES (?, ?, ?, ?, ?)", rows())
db.commit()
PY
  echo "predictions=$n generated in $((SECONDS - t0)) s (SQLite)"
  select_once "$n" "--db $file" $((n * 6 / 10000)) "down-$n"
  select_once "$n" "--db $file" $((n * 25 / 10000)) "up-$n"
}

run() { # predictions
  local n=$1
  "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  local cs="${ConnectionStrings__Postgres/Database=enb/Database=$db}"
  $enb migrate --postgres "$cs" >/dev/null
  local t0=$SECONDS
  # Top-1 class uniform over 1000 classes; top-1 confidence p = 0.05 + 0.95 * u^0.5 (most images fairly confident,
  # so classes cross their target at different thresholds); 9 more classes share the rest.
  "$ENB_PSQL" -q -d "$db" <<SQL >/dev/null
SELECT setseed(0.42);
INSERT INTO models (name, uri, sha256, spec_json, created_at)
VALUES ('bench_teacher', 'file:///bench.onnx', repeat('ab', 32), '{}', now());
INSERT INTO runs (id, name, kind, model_id, source, status, top_k, store_embeddings, store_full_distribution, error_budget, shard_size, created_at, finished_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'bench-teacher', 'teacher', 1, '/bench', 'completed', 10, false, false, 0.01, 256, now(), now());
INSERT INTO images (source, key) SELECT '/bench', 'img/' || lpad(g::text, 9, '0') || '.jpg' FROM generate_series(1, $n) g;
INSERT INTO predictions (run_id, image_id, top_indices, top_probabilities, created_at)
SELECT '00000000-0000-7000-8000-000000000001', id,
       ARRAY[c, (c + 1) % 1000, (c + 2) % 1000, (c + 3) % 1000, (c + 4) % 1000, (c + 5) % 1000, (c + 6) % 1000, (c + 7) % 1000, (c + 8) % 1000, (c + 9) % 1000],
       ARRAY[p, (1 - p) * 0.3, (1 - p) * 0.2, (1 - p) * 0.15, (1 - p) * 0.1, (1 - p) * 0.08, (1 - p) * 0.06, (1 - p) * 0.05, (1 - p) * 0.04, (1 - p) * 0.02]::real[],
       now()
FROM (SELECT id, floor(random() * 1000)::int AS c, (0.05 + 0.95 * sqrt(random()))::real AS p FROM images) s;
VACUUM ANALYZE predictions;
SQL
  echo "predictions=$n generated in $((SECONDS - t0)) s"
  select_once "$n" "--postgres $cs" $((n * 6 / 10000)) "down-$n"   # 0.6 x the mean class size: sampled down, thresholds ~0.65
  select_once "$n" "--postgres $cs" $((n * 25 / 10000)) "up-$n"    # 2.5 x: every class at the floor 0.3, duplicated 2-3 times
}

select_once() { # predictions database-flags per-class name
  local n=$1 database=$2 target=$3 name=$4
  local temp_before; temp_before=$(temp_bytes)
  # shellcheck disable=SC2086 # database holds a flag and its value
  /usr/bin/time -f "%e %M" -o "$work/time" $enb pseudo-label select $database --run bench-teacher --per-class "$target" \
    --min-confidence 0.3 --seed 1 --name "$name" > "$work/out" 2> "$work/stderr" || { cat "$work/out" "$work/stderr"; exit 1; }
  local inner; inner=$(sed -nE "s/.*selected in ([0-9.]+) s.*/\1/p" "$work/out")
  read -r seconds rss_kb < "$work/time"
  local temp_after; temp_after=$(temp_bytes)
  local stats; stats=$(query "SELECT unique_images || ' ' || total_samples FROM pseudo_label_sets WHERE name = '$name'")
  local thresholds; thresholds=$(query \
    "SELECT min(threshold_bucket) || '..' || max(threshold_bucket) FROM pseudo_label_classes c JOIN pseudo_label_sets s ON s.id = c.set_id WHERE s.name = '$name'")
  echo "predictions=$n per_class=$target select_seconds=$inner process_seconds=$seconds cli_peak_rss_mb=$((rss_kb / 1024)) server_temp_mb=$(( (temp_after - temp_before) / 1048576 )) unique_images=${stats% *} samples=${stats#* } thresholds=$thresholds"
}

query() { if $sqlite; then sqlite3 "$work/bench.db" "$1"; else "$ENB_PSQL" -d "$db" -tAc "$1"; fi; }

# Bytes the server spilled to temp files (sorts, hashes); SQLite: none reported.
temp_bytes() { if $sqlite; then echo 0; else query "SELECT temp_bytes FROM pg_stat_database WHERE datname = '$db'"; fi; }

if $sqlite; then
  echo "== pseudo-label selection benchmark on $(nproc) cores, SQLite (embedded)"
else
  echo "== pseudo-label selection benchmark on $(nproc) cores, PostgreSQL $("$ENB_PSQL" -tAc 'SHOW server_version')"
fi
for n in "${sizes[@]}"; do
  if $sqlite; then run_sqlite "$n"; else run "$n"; fi
done
