#!/usr/bin/env bash
# Builds, on this (CPU) machine, everything the lent GPU machine needs for tools/gpu/run.sh, cut into pieces that
# each fit one device upload (64 MiB per call, the repository itself included: keep the repository under ~10 MiB):
#
#   enb.tar.xz               self-contained linux-x64 publish of enb (there is no .NET there), without the CUDA provider
#   providers_cuda.so.xz     the 284 MB libonnxruntime_providers_cuda.so of Microsoft.ML.OnnxRuntime.Gpu.Linux
#   model/                   EfficientNet-B0 fp32 + fp16 ONNX (+ specs, labels) from tools/bench/torch_bench.py
#
# are put into one tar stream (already compressed: not compressed again) and split into .device/gpu/p1/part,
# p2/part, ... of at most 52 MiB; each pN/manifest lists every piece's sha256 so run.sh can say which is missing.
# The GPU machine has the CUDA 13 user-space libraries (cudart, cublas, cublasLt, curand, cuDNN 9) inside torch's
# nvidia-* wheels and PIL for the corpus: run.sh uses those. docs/performance.md ("GPU") gives the device calls.
# Usage: tools/gpu/prepare.sh    (10-20 minutes on 2 busy cores: xz -9 over ~460 MB dominates)
#        XZ_LEVEL=1 tools/gpu/prepare.sh   (a minute or two; larger pieces, more of them: for checking the flow)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.device/gpu
piece=$((52 * 1024 * 1024))
level=${XZ_LEVEL:-9}

if [[ ! -f .bench/model/efficientnet_b0_fp16.onnx ]]; then
  /usr/bin/python3 tools/bench/torch_bench.py export .bench/model --fp16
fi

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
dotnet publish src/Scheduler -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
  -v quiet --nologo -o "$build/enb" >/dev/null
[[ -f "$build/enb/libonnxruntime_providers_cuda.so" ]] || { echo "error: the publish holds no libonnxruntime_providers_cuda.so" >&2; exit 1; }
mkdir -p "$build/payload"
xz -"$level" -T0 -c "$build/enb/libonnxruntime_providers_cuda.so" > "$build/payload/providers_cuda.so.xz"
# TensorRT 10 is not on the machine; the CUDA provider travels separately (above); the debugger libraries are unused.
rm -f "$build/enb"/libonnxruntime_providers_{cuda,tensorrt}.so "$build/enb"/libmscordaccore.so "$build/enb"/libmscordbi.so "$build/enb"/*.pdb
tar -C "$build" -cf - enb | xz -"$level" -T0 > "$build/payload/enb.tar.xz"
cp -r .bench/model "$build/payload/model"
rm -f "$build/payload/model/efficientnet_b0.pt"   # the PyTorch baselines do not run there

rm -rf "$out" && mkdir -p "$out"
tar -C "$build/payload" -cf - . | split -b "$piece" -d -a 2 - "$build/piece."
n=0
for part in "$build"/piece.*; do
  n=$((n + 1))
  mkdir -p "$out/p$n"
  mv "$part" "$out/p$n/part"
done
(cd "$out" && for ((i = 1; i <= n; i++)); do echo "$(sha256sum "p$i/part" | cut -d' ' -f1) p$i"; done) > "$build/manifest"
for ((i = 1; i <= n; i++)); do cp "$build/manifest" "$out/p$i/manifest"; done

du -sh "$out"/p* >&2
echo "prepared $n pieces in $out: upload them in $n back-to-back device calls, the last one running tools/gpu/run.sh (docs/performance.md)"
