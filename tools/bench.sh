#!/usr/bin/env bash
# Side-by-side CPU benchmark, one run on the same images and the same EfficientNet-B0 weights:
#   - ONNX Runtime model-only rate at the chosen batch           (enb bench model)
#   - decode + preprocess rate of one core                       (enb bench preprocess, Exact mode)
#   - our end-to-end embedded `enb label` (files in, rows in SQLite) on a small and a large corpus, with peak RSS
#   - the seed-style PyTorch loop (PIL + torchvision transforms, batch 1, per image)
#   - a competent PyTorch pipeline (DataLoader + worker processes + inference_mode; best of batch 8/16 x workers 1/2)
# and prints a table, the ratios, and as its last line:
#   RATIOS e2e_over_bound=<x> e2e_over_torch=<x> e2e_over_seed=<x> peak_rss_mb=<n> e2e_img_s=<x>
# CPU bound = cores / (decode core-s + inference core-s) per image = cores / (1/preprocess_rate + threads/model_rate).
#
# Usage: tools/bench.sh [--quick] [--batch-size N]
#   --quick        300 / 1500 images for the RSS check, fewer images for each rate (under 5 minutes on 2 cores)
#   default        2000 / 10000 images
# The model (21 MB), its state dict and the corpus are generated into .bench/ (gitignored) and reused.
# Needs Debian's python3-torchvision and python3-onnx for /usr/bin/python3; installs them with apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
batch=8
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --batch-size) batch=${2:?--batch-size needs a value}; shift ;;
    *) echo "error: unknown argument '$1' (usage: tools/bench.sh [--quick] [--batch-size N])" >&2; exit 3 ;;
  esac
  shift
done
[[ "$batch" =~ ^[0-9]+$ ]] && ((batch >= 1 && batch <= 1024)) || { echo "error: --batch-size must be 1..1024, got '$batch'" >&2; exit 3; }

if ((quick)); then
  small=300 large=1500 model_s=4 pre_images=200 seed_images=80 loader_images=160
else
  small=2000 large=10000 model_s=10 pre_images=600 seed_images=300 loader_images=600
fi

py=/usr/bin/python3
cache=.bench
model="$cache/model/efficientnet_b0.onnx"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! "$py" -c 'import torchvision, onnx' 2>/dev/null; then
  say "installing python3-torchvision python3-onnx (apt)"
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y -q python3-torchvision python3-onnx >/dev/null
  else sudo apt-get install -y -q python3-torchvision python3-onnx >/dev/null; fi
fi

say "building enb (Release)"
dotnet build src/Scheduler -c Release -v quiet --nologo >/dev/null
enb=(dotnet src/Scheduler/bin/Release/net10.0/enb.dll)

if [[ ! -f "$cache/model/efficientnet_b0.pt" || ! -f "$model" ]]; then
  say "exporting EfficientNet-B0 (torchvision, weights=None + BatchNorm recalibration) to $cache/model"
  "$py" tools/bench/torch_bench.py export "$cache/model" >&2
fi

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
small_dir=$(corpus "$small")
large_dir=$(corpus "$large")
cores=$(nproc)
field() { sed -nE "s/(^|.* )$1=([0-9.]+).*/\2/p" | tail -n1; }

say "model only: batch $batch, ${model_s} s"
model_line=$("${enb[@]}" bench model --model "$model" --batch-size "$batch" --seconds "$model_s" --provider Cpu)
model_rate=$(field img_s <<<"$model_line")
model_cpu=$(field cpu_s_per_img <<<"$model_line")
threads=$(field threads <<<"$model_line")

say "decode + preprocess: one thread, $pre_images images"
pre_line=$("${enb[@]}" bench preprocess "$large_dir" --model "$model" --images "$pre_images")
pre_rate=$(field img_s_per_core <<<"$pre_line")
pre_cpu=$(field cpu_s_per_img <<<"$pre_line")

e2e() { # e2e DIR N -> "rate rss_mb cpu_s"; checks that every image became a row
  local db="$work/e2e-$2.db"
  /usr/bin/time -f 'rss_kb=%M cpu_s=%U+%S' -o "$work/time-$2" "${enb[@]}" label "$1" --model "$model" --db "$db" --batch-size "$batch" \
    --run-name "bench-$2" > "$work/label-$2.log" 2>&1 || { cat "$work/label-$2.log" >&2; exit 4; }
  local rows
  rows=$("$py" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from predictions').fetchone()[0])" "$db")
  [[ "$rows" -eq "$2" ]] || { echo "error: label wrote $rows prediction rows for $2 images" >&2; exit 4; }
  local rate rss cpu
  rate=$(sed -nE 's/.*images: +[0-9]+ of [0-9]+ in [0-9.]+ s \(([0-9.]+) images\/s\).*/\1/p' "$work/label-$2.log")
  rss=$(($(sed -nE 's/rss_kb=([0-9]+).*/\1/p' "$work/time-$2") / 1024))
  cpu=$(sed -nE 's/.*cpu_s=([0-9.]+)\+([0-9.]+).*/\1 \2/p' "$work/time-$2" | awk '{ print $1 + $2 }')
  echo "$rate $rss $cpu"
}
say "end to end: enb label, $small images"
read -r e2e_small rss_small _ < <(e2e "$small_dir" "$small")
say "end to end: enb label, $large images"
read -r e2e_rate rss_large e2e_cpu < <(e2e "$large_dir" "$large")

say "PyTorch seed loop: $seed_images images"
seed_rate=$("$py" tools/bench/torch_bench.py seed "$cache/model" --images "$large_dir" --limit "$seed_images" | field img_s)
say "PyTorch DataLoader: batch 8/16 x workers 1/2, $loader_images images each"
"$py" tools/bench/torch_bench.py dataloader "$cache/model" --images "$large_dir" --limit "$loader_images" > "$work/torch.log"
torch_line=$(grep '^torch ' "$work/torch.log")
torch_rate=$(field img_s <<<"$torch_line")

awk -v cores="$cores" -v threads="$threads" -v batch="$batch" -v m="$model_rate" -v p="$pre_rate" \
    -v es="$e2e_small" -v el="$e2e_rate" -v rs="$rss_small" -v rl="$rss_large" -v small="$small" -v large="$large" \
    -v mc="$model_cpu" -v pc="$pre_cpu" -v ec="$e2e_cpu" \
    -v seed="$seed_rate" -v torch="$torch_rate" -v tl="$torch_line" -v cpu="$(sed -nE 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n1)" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -f /dev/stdin "$work/torch.log" <<'AWK'
/^dataloader / { configs = configs sprintf("  %s\n", $0) }
END {
  inference_core_s = threads / m; decode_core_s = 1 / p
  bound = cores / (decode_core_s + inference_core_s)
  peak = rs > rl ? rs : rl
  printf "\nEfficientNet-B0 (same weights everywhere), CPU, %d cores (%s), load average %s\n\n", cores, cpu, load
  printf "| what | images/s | notes |\n|---|---|---|\n"
  printf "| ONNX Runtime model only, batch %d | %.1f | %d intra-op threads: %.4f core-s per image |\n", batch, m, threads, inference_core_s
  printf "| decode + preprocess (Exact), one core | %.1f | %.4f core-s per image |\n", p, decode_core_s
  printf "| CPU bound = cores / (decode + inference core-s) | %.1f | |\n", bound
  printf "| **enb label end to end, %d images** | **%.1f** | files in, rows in SQLite; peak RSS %d MB |\n", large, el, rl
  printf "| enb label end to end, %d images | %.1f | peak RSS %d MB |\n", small, es, rs
  printf "| PyTorch DataLoader, best configuration | %.1f | %s |\n", torch, tl
  printf "| PyTorch seed loop (batch 1, per image) | %.1f | |\n\n", seed
  printf "DataLoader configurations:\n%s\n", configs
  growth = rl - rs
  printf "Peak RSS %d MB at %d images, %d MB at %d images: %s\n", rs, small, rl, large,
    (growth <= 0.1 * rs ? "flat (within 10%)" : sprintf("grows by %d MB", growth))
  printf "e2e / CPU bound %.2f, e2e / PyTorch DataLoader %.2f, e2e / seed loop %.2f\n", el / bound, el / torch, el / seed
  # The same comparison in CPU time, which other load on the machine barely moves (wall-clock rates it does).
  printf "CPU time per image: decode %.4f + inference %.4f core-s; enb label %.4f core-s (whole process, start-up included): efficiency %.2f\n",
    pc, mc, ec / large, (pc + mc) / (ec / large)
  printf "RATIOS e2e_over_bound=%.2f e2e_over_torch=%.2f e2e_over_seed=%.2f peak_rss_mb=%d e2e_img_s=%.1f\n",
    el / bound, el / torch, el / seed, peak, el
}
AWK
