#!/usr/bin/env bash
# Single-thread decode + preprocess rates of Exact and Fast mode (the throughput table of docs/preprocessing.md), with
# `enb bench preprocess` on the efficientnet_b0 transform (256 bicubic -> crop 224; the bundled test model's spec):
# the sample photos (451x300 .. 640x427, half PNG), and china.jpg upscaled to 12 MP (4240x2828, JPEG quality 90); the
# same 12 MP picture as PNG (zlib level 1, libvips) and as a 24-bit BMP (ImageSharp) for what each decoder costs.
# Timings depend on the machine and its load: run it on a quiet one, and say which.
# Usage: tools/bench-preprocess.sh [copies]      (default 20: each input is timed this many times)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-20}
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import PIL' 2>/dev/null ||
  { echo "bench-preprocess.sh: needs Pillow for the 12 MP input: apt-get install python3-pil" >&2; exit 3; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/photos" "$work/12mp" "$work/12mp-png" "$work/12mp-bmp"
for i in $(seq 1 "$copies"); do
  for photo in samples/photos/*.jpg samples/photos/*.png; do cp "$photo" "$work/photos/$i-$(basename "$photo")"; done
done
/usr/bin/python3 - "$work/12mp/china-12mp.jpg" <<'PY'
import sys
from PIL import Image
big = Image.open("samples/photos/china.jpg").convert("RGB").resize((4240, 2828), Image.BICUBIC)
big.save(sys.argv[1], quality=90)
big.save(sys.argv[1].replace("12mp/", "12mp-png/").replace(".jpg", ".png"), compress_level=1)
big.save(sys.argv[1].replace("12mp/", "12mp-bmp/").replace(".jpg", ".bmp"))
PY
for i in $(seq 2 "$copies"); do
  cp "$work/12mp/china-12mp.jpg" "$work/12mp/china-12mp-$i.jpg"
  cp "$work/12mp-png/china-12mp.png" "$work/12mp-png/china-12mp-$i.png"
  cp "$work/12mp-bmp/china-12mp.bmp" "$work/12mp-bmp/china-12mp-$i.bmp"
done

dotnet build src/Scheduler -c Release --nologo -v quiet >/dev/null
enb="dotnet src/Scheduler/bin/Release/net10.0/enb.dll"
model=models/test/efficientnet_tiny.onnx
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in Exact Fast; do
  for input in photos 12mp; do
    echo "$input $($enb bench preprocess "$work/$input" --model "$model" --mode "$mode" --images 100000)"
  done
done
for input in 12mp-png 12mp-bmp; do
  echo "$input $($enb bench preprocess "$work/$input" --model "$model" --mode Exact --images 100000)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
