#!/usr/bin/env bash
# Multi-model pass benchmark (CPU): EfficientNet-B0 (V1 preset: resize 256 bicubic, crop 224) and B1 (V2 preset:
# resize 255 bilinear, crop 240) over the same corpus, as
#   - two single-model runs:  enb label DIR --model b0   then   enb label DIR --model b1
#   - one two-model pass:     enb label DIR --model b0 --model b1   (each image fetched and decoded once)
# each under /usr/bin/time (wall s, CPU s = user + sys, peak RSS), plus the stage costs it is held against:
#   decode + preprocess per image (enb bench preprocess, one core, B0's spec) and model-only CPU per image for each
#   model (enb bench model). Target: pass CPU per image <= decode + inference(b0) + inference(b1) + 10%.
# The pass also runs on a corpus 4x smaller, to show whether its peak RSS grows with the corpus.
# Prints a table and, as its last line:
#   PASS cpu_s_per_img=<x> singles_cpu_s_per_img=<x> bound_cpu_s_per_img=<x> over_bound=<x> marginal_cpu_s_per_img=<x>
#        marginal_over_bound=<x> wall_s=<x> singles_wall_s=<x> peak_rss_mb=<n>
# (marginal: the CPU of one more image, the difference of the two pass runs over their difference in images)
#
# Usage: tools/bench-pass.sh [--quick] [--batch-size N]
#   --quick   1200 images (300 for the RSS check); default 4000 (1000)
# Models and corpus are generated into .bench/ (gitignored) and reused; needs python3-torchvision (see tools/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
batch=8
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --batch-size) batch=${2:?--batch-size needs a value}; shift ;;
    *) echo "error: unknown argument '$1' (usage: tools/bench-pass.sh [--quick] [--batch-size N])" >&2; exit 3 ;;
  esac
  shift
done
[[ "$batch" =~ ^[0-9]+$ ]] && ((batch >= 1 && batch <= 1024)) || { echo "error: --batch-size must be 1..1024, got '$batch'" >&2; exit 3; }
if ((quick)); then large=1200 small=300 model_s=4 pre_images=200; else large=4000 small=1000 model_s=8 pre_images=500; fi

py=/usr/bin/python3
cache=.bench
b0="$cache/model/efficientnet_b0.onnx"
b1="$cache/model-b1/efficientnet_b1.onnx"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '[bench-pass %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

"$py" -c 'import torchvision, onnx' 2>/dev/null || { echo "error: needs python3-torchvision and python3-onnx (apt); tools/bench.sh installs them" >&2; exit 3; }
say "building enb (Release)"
dotnet build src/Scheduler -c Release -v quiet --nologo >/dev/null
enb=(dotnet src/Scheduler/bin/Release/net10.0/enb.dll)

[[ -f "$b0" ]] || { say "exporting EfficientNet-B0 to $cache/model"; "$py" tools/bench/torch_bench.py export "$cache/model" >&2; }
[[ -f "$b1" ]] || { say "exporting EfficientNet-B1 (V2 preset) to $cache/model-b1";
  "$py" tools/export_model.py --variant b1 --weights-version v2 --calibration-dir samples/photos --out "$b1" >&2; }

say "corpus: $large images varied from samples/photos (cached in $cache/pool)"
"$py" tools/bench/torch_bench.py corpus "$cache/pool" "$large" >&2
corpus() { # corpus N -> folder holding the first N pool images (hard links)
  local dir="$cache/corpus-$1"
  if [[ $(find "$dir" -name '*.jpg' 2>/dev/null | wc -l) -ne $1 ]]; then
    rm -rf "$dir" && mkdir -p "$dir"
    find "$cache/pool" -name '*.jpg' | sort | head -n "$1" | xargs ln -t "$dir"
  fi
  echo "$dir"
}
large_dir=$(corpus "$large")
small_dir=$(corpus "$small")
field() { sed -nE "s/(^|.* )$1=([0-9.]+).*/\2/p" | tail -n1; }

say "stage costs: model only (batch $batch, ${model_s} s each), decode + preprocess ($pre_images images, one core)"
inf_b0=$("${enb[@]}" bench model --model "$b0" --batch-size "$batch" --seconds "$model_s" --provider Cpu | field cpu_s_per_img)
inf_b1=$("${enb[@]}" bench model --model "$b1" --batch-size "$batch" --seconds "$model_s" --provider Cpu | field cpu_s_per_img)
decode=$("${enb[@]}" bench preprocess "$large_dir" --model "$b0" --images "$pre_images" | field cpu_s_per_img)

label() { # label NAME DIR N MODEL... -> "wall_s cpu_s rss_mb"; checks every image became one row per run
  local name=$1 dir=$2 n=$3; shift 3
  local db="$work/$name.db" args=()
  for m in "$@"; do args+=(--model "$m"); done
  /usr/bin/time -f 'wall_s=%e rss_kb=%M cpu_s=%U+%S' -o "$work/time-$name" "${enb[@]}" label "$dir" "${args[@]}" --db "$db" \
    --batch-size "$batch" --run-name "$name" > "$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 4; }
  local rows
  rows=$("$py" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from predictions').fetchone()[0])" "$db")
  [[ "$rows" -eq $((n * $#)) ]] || { echo "error: $name wrote $rows prediction rows for $n images x $# models" >&2; exit 4; }
  sed -nE 's/wall_s=([0-9.]+) rss_kb=([0-9]+) cpu_s=([0-9.]+)\+([0-9.]+).*/\1 \3 \4 \2/p' "$work/time-$name" | awk '{ print $1, $2 + $3, int($4 / 1024) }'
}
say "single-model run: B0, $large images"
read -r w_b0 c_b0 r_b0 < <(label single-b0 "$large_dir" "$large" "$b0")
say "single-model run: B1, $large images"
read -r w_b1 c_b1 r_b1 < <(label single-b1 "$large_dir" "$large" "$b1")
say "two-model pass: B0 + B1, $large images"
read -r w_pass c_pass r_pass < <(label pass "$large_dir" "$large" "$b0" "$b1")
say "two-model pass: B0 + B1, $small images (RSS check)"
read -r w_small c_small r_small < <(label pass-small "$small_dir" "$small" "$b0" "$b1")

awk -v n="$large" -v small="$small" -v batch="$batch" -v cores="$(nproc)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v cpu="$(sed -nE 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n1)" \
    -v ib0="$inf_b0" -v ib1="$inf_b1" -v dec="$decode" \
    -v wb0="$w_b0" -v cb0="$c_b0" -v rb0="$r_b0" -v wb1="$w_b1" -v cb1="$c_b1" -v rb1="$r_b1" \
    -v wp="$w_pass" -v cp="$c_pass" -v rp="$r_pass" -v ws="$w_small" -v cs="$c_small" -v rs="$r_small" 'BEGIN {
  printf "\nEfficientNet-B0 + B1 (V2 preset), CPU, %d cores (%s), batch %d, load average %s\n\n", cores, cpu, batch, load
  printf "| what | images | wall s | CPU s per image | peak RSS MB |\n|---|---|---|---|---|\n"
  printf "| enb label --model b0 | %d | %.1f | %.4f | %d |\n", n, wb0, cb0 / n, rb0
  printf "| enb label --model b1 | %d | %.1f | %.4f | %d |\n", n, wb1, cb1 / n, rb1
  printf "| two single-model runs together | %d | %.1f | %.4f | %d |\n", n, wb0 + wb1, (cb0 + cb1) / n, (rb0 > rb1 ? rb0 : rb1)
  printf "| **enb label --model b0 --model b1 (one pass)** | %d | **%.1f** | **%.4f** | %d |\n", n, wp, cp / n, rp
  printf "| one pass, smaller corpus | %d | %.1f | %.4f | %d |\n\n", small, ws, cs / small, rs
  bound = dec + ib0 + ib1
  printf "Stage costs per image: decode + preprocess %.4f, inference B0 %.4f, B1 %.4f core-s: decode + inference(b0) + inference(b1) = %.4f\n", dec, ib0, ib1, bound
  printf "Pass CPU per image / that sum: %.2f (target <= 1.10; whole process, start-up included); pass / two single runs: CPU %.2f, wall %.2f\n",
    (cp / n) / bound, cp / (cb0 + cb1), wp / (wb0 + wb1)
  # The fixed cost of a process (start-up, model loading, session creation) is paid once per run, whatever its size;
  # the two pass runs differ only in corpus size, so their difference is the CPU each further image costs.
  marginal = (cp - cs) / (n - small)
  printf "Pass CPU per further image (%d-image pass minus %d-image pass): %.4f core-s = %.2f x the sum (target <= 1.10); fixed cost per process %.1f CPU s\n",
    n, small, marginal, marginal / bound, cp - marginal * n
  printf "Pass peak RSS %d MB at %d images, %d MB at %d images: %s\n", rs, small, rp, n,
    (rp - rs <= 0.1 * rs ? "flat (within 10%)" : sprintf("grows by %d MB", rp - rs))
  printf "PASS cpu_s_per_img=%.4f singles_cpu_s_per_img=%.4f bound_cpu_s_per_img=%.4f over_bound=%.2f marginal_cpu_s_per_img=%.4f marginal_over_bound=%.2f wall_s=%.1f singles_wall_s=%.1f peak_rss_mb=%d\n",
    cp / n, (cb0 + cb1) / n, bound, (cp / n) / bound, marginal, marginal / bound, wp, wb0 + wb1, (rp > rs ? rp : rs)
}'
