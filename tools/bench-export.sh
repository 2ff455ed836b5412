#!/usr/bin/env bash
# Export of a run with its embeddings (issue 13): N synthetic predictions with 1280-d float16 embeddings, then
# `enb export --format parquet --embeddings` (float32 list column), `enb export --format npy` (float32) and
# `enb export --format parquet --embeddings --embedding-precision float16` (the stored bytes), each timed as a
# whole process (start-up included) with its peak RSS and CPU time (rows per CPU-second of the export process: a
# loaded machine changes it less than the wall-clock rate), and the export phase alone (the rate `enb export` prints:
# reading the rows, writing and renaming the file, without the process start-up), from PostgreSQL and from SQLite.
# Two sizes by default: a flat peak RSS across them shows the export streams (memory bounded by two Parquet row groups, not by the run).
# Embeddings come from a pool of 1000 random vectors (NumPy, /usr/bin/python3) assigned round-robin.
# Predictions are stored as workers write them, a shard (256 images, consecutive keys) per COPY, shards in a shuffled
# order: the PostgreSQL table is in shard-sized runs of keys, not in a hash join's order (one row per random page).
# Needs the local services: scripts/services.sh up. Uses its own database and temp folder, dropped at the end.
# Usage: tools/bench-export.sh [predictions...]      (default 100000 300000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 300000)

eval "$(scripts/services.sh env)"
work=$(mktemp -d)
db=enb_bench_export
trap 'rm -rf "$work"; "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

dotnet build src/Scheduler -c Release --nologo -v quiet >/dev/null
enb="dotnet src/Scheduler/bin/Release/net10.0/enb.dll"
run_id=00000000-0000-7000-8000-000000000001

# The pool: 1000 x 1280 float16, little-endian, as the database stores them (hex, one vector per line).
/usr/bin/python3 - "$work/pool.hex" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(42)
with open(sys.argv[1], "w") as f:
    for v in (rng.standard_normal((1000, 1280)) * 2).astype("<f2"):
        f.write(v.tobytes().hex() + "\n")
PY

export_once() { # provider predictions database-flags format (npy, parquet, or parquet16: float16 embeddings)
  local provider=$1 n=$2 database=$3 format=$4 out
  if [ "$format" = npy ]; then out="$work/npy"; else out="$work/run.parquet"; fi
  rm -rf "$out"
  local flags=(--format "${format%16}" --out "$out")
  [ "$format" != npy ] && flags+=(--embeddings)
  [ "$format" = parquet16 ] && flags+=(--embedding-precision float16)
  # shellcheck disable=SC2086 # database holds a flag and its value
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" $enb export $database --run bench "${flags[@]}" 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
  read -r seconds rss_kb user_s sys_s < "$work/time"
  local bytes; bytes=$(du -sb "$out" | cut -f1)
  local what=$format
  case $format in parquet) what="parquet (float32 embeddings)" ;; parquet16) what="parquet (float16 embeddings)" ;; esac
  echo "export provider=$provider rows=$n format=$what seconds=$seconds rows_per_s=$(awk -v n="$n" -v s="$seconds" 'BEGIN { printf "%d", n / s }') rows_per_client_cpu_s=$(awk -v n="$n" -v u="$user_s" -v s="$sys_s" 'BEGIN { printf "%d", n / (u + s) }') export_phase_rows_per_s=$(grep -o '([0-9]* rows/s)' "$work/stderr" | tr -dc 0-9) peak_rss_mb=$((rss_kb / 1024)) output_mb=$((bytes / 1048576)) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
}

run_postgres() { # predictions
  local n=$1
  "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  local cs="${ConnectionStrings__Postgres/Database=enb/Database=$db}"
  $enb migrate --postgres "$cs" >/dev/null
  local t0=$SECONDS
  { echo "CREATE TEMP TABLE pool (i int, e bytea); COPY pool FROM STDIN;"
    awk '{ printf "%d\t\\\\x%s\n", NR - 1, $0 }' "$work/pool.hex"
    printf '\\.\n'
    cat <<SQL
INSERT INTO models (name, uri, sha256, spec_json, created_at) VALUES ('bench', 'file:///bench.onnx', repeat('ab', 32), '{}', now());
INSERT INTO runs (id, name, kind, model_id, source, status, top_k, store_embeddings, store_full_distribution, error_budget, shard_size, created_at, finished_at)
VALUES ('$run_id', 'bench', 'label', 1, '/bench', 'completed', 5, true, false, 0.01, 256, now(), now());
INSERT INTO images (source, key) SELECT '/bench', 'img/' || lpad(g::text, 9, '0') || '.jpg' FROM generate_series(1, $n) g;
INSERT INTO predictions (run_id, image_id, top_indices, top_probabilities, embedding, created_at)
SELECT '$run_id', i.id, ARRAY[i.id % 1000, (i.id + 1) % 1000, (i.id + 2) % 1000, (i.id + 3) % 1000, (i.id + 4) % 1000],
       ARRAY[0.6, 0.2, 0.1, 0.05, 0.05]::real[], p.e, now()
FROM images i JOIN pool p ON p.i = i.id % 1000
ORDER BY md5(((i.id - 1) / 256)::text), i.id;
VACUUM ANALYZE predictions;
SQL
  } | "$ENB_PSQL" -q -d "$db" >/dev/null
  echo "predictions=$n generated in $((SECONDS - t0)) s (PostgreSQL)"
  export_once postgres "$n" "--postgres $cs" parquet
  export_once postgres "$n" "--postgres $cs" npy
  export_once postgres "$n" "--postgres $cs" parquet16
  "$ENB_PSQL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
}

run_sqlite() { # predictions
  local n=$1 file="$work/bench.db"
  rm -f "$file"*
  $enb migrate --db "$file" >/dev/null
  local t0=$SECONDS
  /usr/bin/python3 - "$file" "$n" "$work/pool.hex" "$run_id" <<'PY'
import sqlite3, struct, sys
path, n, pool_path, run = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].upper()
pool = [bytes.fromhex(line.strip()) for line in open(pool_path)]
db = sqlite3.connect(path)
db.execute("INSERT INTO models (name, uri, sha256, spec_json, created_at) VALUES ('bench', 'file:///bench.onnx', ?, '{}', '2026-01-01 00:00:00')", ("ab" * 32,))
db.execute("INSERT INTO runs (id, name, kind, model_id, source, status, top_k, store_embeddings, store_full_distribution, error_budget, shard_size, created_at, finished_at) "
           "VALUES (?, 'bench', 'label', 1, '/bench', 'completed', 5, 1, 0, 0.01, 256, '2026-01-01 00:00:00', '2026-01-01 00:00:00')", (run,))
db.executemany("INSERT INTO images (id, source, key) VALUES (?, '/bench', ?)", ((i, f"img/{i:09d}.jpg") for i in range(1, n + 1)))
probabilities = struct.pack("<5f", 0.6, 0.2, 0.1, 0.05, 0.05)
db.executemany("INSERT INTO predictions (run_id, image_id, top_indices, top_probabilities, embedding, created_at) VALUES (?, ?, ?, ?, ?, '2026-01-01 00:00:00')",
               ((run, i, struct.pack("<5i", *[(i + k) % 1000 for k in range(5)]), probabilities, pool[i % 1000]) for i in range(1, n + 1)))
db.commit()
PY
  echo "predictions=$n generated in $((SECONDS - t0)) s (SQLite)"
  export_once sqlite "$n" "--db $file" parquet
  export_once sqlite "$n" "--db $file" npy
  export_once sqlite "$n" "--db $file" parquet16
  rm -f "$file"*
}

echo "== export benchmark on $(nproc) cores, PostgreSQL $("$ENB_PSQL" -tAc 'SHOW server_version') and SQLite, 1280-d embeddings"
for n in "${sizes[@]}"; do
  run_postgres "$n"
  run_sqlite "$n"
done
