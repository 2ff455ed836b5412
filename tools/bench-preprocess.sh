#!/usr/bin/env bash
# Single-thread decode + preprocess rates of Exact and Fast mode (the throughput table of docs/preprocessing.md), with
# `enb bench preprocess` on the efficientnet_b0 transform (256 bicubic -> crop 224; the bundled test model's spec):
# the sample photos (451x300 .. 640x427, half PNG), and china.jpg upscaled to 12 MP (4240x2828, JPEG quality 90).
# Timings depend on the machine and its load: run it on a quiet one, and say which.
# Usage: tools/bench-preprocess.sh [copies]      (default 20: each input is timed this many times)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-20}
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import PIL' 2>/dev/null ||
  { echo "bench-preprocess.sh: needs Pillow for the 12 MP input: apt-get install python3-pil" >&2; exit 3; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/photos" "$work/12mp"
for i in $(seq 1 "$copies"); do
  for photo in samples/photos/*.jpg samples/photos/*.png; do cp "$photo" "$work/photos/$i-$(basename "$photo")"; done
done
/usr/bin/python3 - "$work/12mp/china-12mp.jpg" <<'PY'
import sys
from PIL import Image
Image.open("samples/photos/china.jpg").convert("RGB").resize((4240, 2828), Image.BICUBIC).save(sys.argv[1], quality=90)
PY
for i in $(seq 2 "$copies"); do cp "$work/12mp/china-12mp.jpg" "$work/12mp/china-12mp-$i.jpg"; done

dotnet build src/Scheduler -c Release --nologo -v quiet >/dev/null
enb="dotnet src/Scheduler/bin/Release/net10.0/enb.dll"
model=models/test/efficientnet_tiny.onnx
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in Exact Fast; do
  for input in photos 12mp; do
    echo "$input $($enb bench preprocess "$work/$input" --model "$model" --mode "$mode" --images 100000)"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
