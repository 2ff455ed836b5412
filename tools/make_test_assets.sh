#!/usr/bin/env bash
# Regenerate every committed test asset from scratch (run from anywhere; paths are relative to the repo root):
#
#   samples/photos/*                       7 real photos, copied unmodified from Debian's python3-skimage and
#                                          python3-sklearn packages (licences: samples/photos/LICENSES.md)
#   models/test/efficientnet_tiny.onnx     tiny EfficientNet, random weights (seed 0), BatchNorm recalibrated on
#   models/test/efficientnet_tiny.json       samples/photos; its spec and the ImageNet labels
#   models/test/imagenet_labels.txt
#   models/test/efficientnet_tiny_fp16.*   the same network as float16 (--fp16), for the fp16 session tests
#   tests/assets/reference/*               torchvision crops (PNG) of each photo + PyTorch outputs of the tiny model
#   tests/assets/odd/*                     odd-but-valid images, their crops, and invalid/ (truncated JPEGs)
#   tests/assets/formats/*                 BMP/PNM/TGA/ICO/GIF variants with torchvision's float32 tensor of each,
#                                          and invalid/ (bad BMP/TGA, JPEG 2000, JPEG XL, SVG); formats.json indexes them
#
# Needs root for apt-get (installs python3-torchvision, python3-onnx, python3-pil, python3-numpy if missing) and
# the Debian package mirror; nothing else from the network. Uses Debian's /usr/bin/python3 (torch 1.13,
# torchvision 0.14.1, Pillow 9.4). Running it twice gives byte-identical files (checked with sha256sum).
#
#   tools/make_test_assets.sh            regenerate everything
#   tools/make_test_assets.sh --check    regenerate into a temporary copy and compare with the committed files
#                                        (exit 1 on any difference: CI runs it where torch is installed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3

# sha256 of the photos as shipped by Debian 12 (python3-skimage 0.19.3-8, python3-sklearn 1.2.1+dfsg-1).
# Another package version may ship other bytes; every reference would then change, so stop and say so.
declare -A PHOTO_SHA256=(
  [astronaut.png]=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
  [camera.png]=b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a
  [chelsea.png]=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
  [coffee.png]=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
  [rocket.jpg]=c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c
  [china.jpg]=8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29
  [flower.jpg]=a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638
)
TRUNCATED_SHA256=4c226038acc78012d335efba29c6119a24444a886842182b7e18db378f4a557d
SKIMAGE_DATA=usr/lib/python3/dist-packages/skimage/data
SKLEARN_IMAGES=usr/lib/python3/dist-packages/sklearn/datasets/images

log() { echo "make_test_assets: $*" >&2; }

if [[ "${1:-}" == "--check" ]]; then
  # Regenerate in a scratch copy of the asset folders and compare byte for byte.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/tools"
  cp tools/export_model.py tools/make_reference_assets.py tools/reference_formats.py tools/make_test_assets.sh "$scratch/tools/"
  for f in samples/photos/LICENSES.md tests/assets/reference/README.md tests/assets/odd/README.md; do
    if [[ -f "$f" ]]; then mkdir -p "$scratch/$(dirname "$f")"; cp "$f" "$scratch/$f"; fi
  done
  bash "$scratch/tools/make_test_assets.sh"
  status=0
  for d in samples/photos models/test tests/assets/reference tests/assets/odd tests/assets/formats; do
    if ! diff -r "$d" "$scratch/$d" >&2; then status=1; fi
  done
  if [[ $status -eq 0 ]]; then log "check passed: regenerated assets are identical"; else log "check FAILED"; fi
  exit $status
fi

# 1. Python packages (Debian's).
if ! "$PY" -c 'import torch, torchvision, onnx, PIL, numpy' 2>/dev/null; then
  log "installing python3-torchvision python3-onnx python3-pil python3-numpy"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y python3-torchvision python3-onnx python3-pil python3-numpy >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y python3-torchvision python3-onnx python3-pil python3-numpy >/dev/null; }
fi

# 2. Photos from the Debian packages (downloaded, unpacked into a temporary folder, not installed).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 0777 "$work"  # apt-get download runs as the _apt user when it can write the folder
log "downloading python3-skimage and python3-sklearn (.deb, not installed)"
(cd "$work" && { apt-get download python3-skimage python3-sklearn >/dev/null 2>&1 ||
  { apt-get update >/dev/null && apt-get download python3-skimage python3-sklearn >/dev/null; }; })
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done

mkdir -p samples/photos
for name in astronaut.png camera.png chelsea.png coffee.png rocket.jpg; do
  cp "$work/x/$SKIMAGE_DATA/$name" samples/photos/
done
for name in china.jpg flower.jpg; do
  cp "$work/x/$SKLEARN_IMAGES/$name" samples/photos/
done
for name in "${!PHOTO_SHA256[@]}"; do
  actual="$(sha256sum "samples/photos/$name" | cut -d' ' -f1)"
  if [[ "$actual" != "${PHOTO_SHA256[$name]}" ]]; then
    log "error: samples/photos/$name has sha256 $actual, expected ${PHOTO_SHA256[$name]}"
    log "       (another Debian package version?) Update PHOTO_SHA256 in this script if that is intended."
    exit 1
  fi
done
truncated="$work/x/$SKIMAGE_DATA/truncated.jpg"
[[ "$(sha256sum "$truncated" | cut -d' ' -f1)" == "$TRUNCATED_SHA256" ]] ||
  { log "error: unexpected skimage truncated.jpg"; exit 1; }
log "photos: $(du -cb samples/photos/*.png samples/photos/*.jpg | tail -1 | cut -f1) bytes in samples/photos"

# 3. The tiny test model (random weights, seed 0, BatchNorm recalibrated on samples/photos).
rm -f models/test/efficientnet_tiny.onnx models/test/efficientnet_tiny.json models/test/imagenet_labels.txt
rm -f models/test/efficientnet_tiny_fp16.onnx models/test/efficientnet_tiny_fp16.json
"$PY" tools/export_model.py --tiny --seed 0 --calibration-dir samples/photos --out models/test/efficientnet_tiny.onnx
"$PY" tools/export_model.py --tiny --seed 0 --calibration-dir samples/photos --fp16 --out models/test/efficientnet_tiny_fp16.onnx

# 4. Reference crops, odd inputs and PyTorch outputs (from a clean slate, keeping the hand-written READMEs).
find tests/assets/reference tests/assets/odd tests/assets/formats -type f ! -name README.md -delete 2>/dev/null || true
"$PY" tools/make_reference_assets.py --photos samples/photos --model models/test/efficientnet_tiny.onnx \
  --reference-dir tests/assets/reference --odd-dir tests/assets/odd --formats-dir tests/assets/formats \
  --skimage-truncated "$truncated"

log "done"
sha256sum models/test/* >&2
