#!/usr/bin/env bash
# Runs ON the lent GPU machine (H100/H200, 16 cores, CUDA 13 driver, torch's nvidia-* wheels, no .NET, no network),
# after tools/gpu/prepare.sh's pieces (.device/gpu/pN) were uploaded (docs/performance.md, "GPU"). Measures, with the production code:
#   - model-only images/s (enb bench model, host buffers in and out, so H2D/D2H copies included) at fp32 and fp16,
#     batch 1..512, cuDNN exhaustive search; and what --batch-size auto picks
#   - decode + preprocess images/s of one core (x cores = the decode bound of this node)
#   - end to end `enb label` (files in, rows in SQLite) at fp32 and fp16, batch 256, on a generated corpus
# Results: $OUT/gpu-bench.txt (or /tmp/gpu-bench.txt).  Usage: tools/gpu/run.sh [images]   (default 16000)
set -euo pipefail
cd "$(dirname "$0")/../.."
images=${1:-16000}
g=.device/gpu
work=/tmp/enb-gpu
result=${OUT:-/tmp}/gpu-bench.txt
exec > >(tee "$result") 2>&1
say() { printf '[gpu %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
unxz() { if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi; }

[[ -f $g/p1/manifest ]] || { echo "error: $g/p1 is missing: upload tools/gpu/prepare.sh's pieces first"; exit 3; }
missing=$(cd "$g" && while read -r sum piece; do [[ -f $piece/part && $(sha256sum "$piece/part" | cut -d' ' -f1) == "$sum" ]] || echo "$piece"; done < p1/manifest)
[[ -z $missing ]] || { echo "error: pieces missing or stale on this machine: $(echo $missing) (upload them again, back to back)"; exit 3; }
mkdir -p "$work"
if [[ ! -x $work/enb/enb ]]; then
  say "unpacking enb, the CUDA provider library and the models"
  mkdir -p "$work/payload"
  while read -r _ piece; do cat "$g/$piece/part"; done < "$g/p1/manifest" | tar -C "$work/payload" -xf -
  unxz "$work/payload/enb.tar.xz" | tar -C "$work" -xf -
  unxz "$work/payload/providers_cuda.so.xz" > "$work/enb/libonnxruntime_providers_cuda.so"
fi

# CUDA 13 runtime, cuBLAS(Lt), cuRAND and cuDNN 9 come from torch's nvidia-* wheels.
nvidia=$(python3 -c 'import nvidia, os; print(os.path.abspath(list(nvidia.__path__)[0]))' 2>/dev/null) ||
  { echo "error: this python3 has no nvidia-* wheels (torch's CUDA 13 libraries): nowhere to load libcudart.so.13 from"; exit 3; }
LD_LIBRARY_PATH=$(find "$nvidia" -name 'lib*.so*' -printf '%h\n' | sort -u | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
enb=$work/enb/enb
model=$work/payload/model/efficientnet_b0.onnx
model16=$work/payload/model/efficientnet_b0_fp16.onnx
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
say "$(nproc) cores, $(python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null)"

say "corpus: $images images"
python3 tools/bench/torch_bench.py corpus "$work/corpus" "$images"

for m in "$model" "$model16"; do
  say "model only: $(basename "$m")"
  "$enb" bench model --model "$m" --provider Cuda --batch-size 1,8,32,64,128,256,512 --seconds 3
done
say "--batch-size auto (fp16)"
"$enb" bench model --model "$model16" --provider Cuda --batch-size auto --seconds 3

say "decode + preprocess, one core"
"$enb" bench preprocess "$work/corpus" --model "$model" --images 2000

# Enough images in flight to fill batches of 256 from 16 decode threads.
export Inference__ExecutionProvider=Cuda Pipeline__ShardConcurrency=8 Pipeline__ImagesInFlightPerShard=128
timer=()
[[ -x /usr/bin/time ]] && timer=(/usr/bin/time -f 'peak_rss_kb=%M wall_s=%e')
for m in "$model" "$model16"; do
  say "end to end: enb label, $images images, $(basename "$m"), batch 256"
  rm -f "$work/e2e.db"
  "${timer[@]}" "$enb" label "$work/corpus" --model "$m" --db "$work/e2e.db" --batch-size 256 \
    --run-name "gpu-$(basename "$m" .onnx)" 2>&1 | grep -vE '^[0-9]+/[0-9]+ images' || true
done
say "done: $result"
