#!/usr/bin/python3
"""Write the torchvision/PyTorch reference data for the C# parity tests.

From the repository root (after samples/photos and models/test exist; tools/make_test_assets.sh does it all):
  /usr/bin/python3 tools/make_reference_assets.py

It writes
  tests/assets/reference/<stem>.bicubic-256-224.png   Resize(256, BICUBIC) + CenterCrop(224) of each photo
  tests/assets/reference/<stem>.bilinear-255-240.png  Resize(255, BILINEAR) + CenterCrop(240) of each photo
  tests/assets/reference/outputs.json                 PyTorch logits/embedding/top5 of the tiny model per photo
  tests/assets/odd/<odd input files>                  small odd-but-valid images made from the photos
  tests/assets/odd/<name>.bicubic-256-224.png         their Resize(256, BICUBIC) + CenterCrop(224) crops
  tests/assets/odd/invalid/                           files that must fail to decode (truncated JPEGs)
  tests/assets/reference/normalize.f32                torchvision's ToTensor + Normalize of every byte value, 3 x 256
                                                      float32: the C# tests build the photos' reference tensors from
                                                      it (checked here equal to the direct tensor of every photo)
  tests/assets/formats/<variant files>                BMP/PNM/TGA/ICO/GIF variants PIL opens (tools/reference_formats.py)
  tests/assets/formats/<file>.bicubic-56-48.f32       torchvision's float32 tensor of each (NCHW, little-endian)
  tests/assets/formats/invalid/                       files that must become failure rows (bad BMP/TGA, JPEG 2000, ...)
  tests/assets/formats/formats.json                   the index of both, with the tiny network's PyTorch top-5 on
                                                      each variant's tensor and what PIL does with each invalid file
  models/test/efficientnet_tiny_anysize.onnx          the same tiny network with named height/width axes
  tests/assets/reference/presets.json                 per torchvision EfficientNet preset (B0-B7 bicubic, B1 V2
                                                      bilinear) and photo: sha256 of torchvision's float32 input
                                                      tensor, and the tiny network's PyTorch top-5 and probabilities

Every image is loaded the way torchvision's ImageFolder loads it: PIL.Image.open(path).convert("RGB").
The crops are the uint8 RGB images right before ToTensor, saved as lossless PNG, so
Normalize(ToTensor(Image.open(crop))) is exactly torchvision's input tensor: the script checks that
(max abs diff 0) against the tensor computed directly by the transform pipeline.

outputs.json comes from the PyTorch network that tools/export_model.py exports for --tiny; the script rebuilds it
with the same arguments and refuses to write the outputs unless re-exporting it reproduces the committed
ONNX file byte for byte.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_model  # noqa: E402  (tools/export_model.py)
import reference_formats  # noqa: E402  (tools/reference_formats.py)

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
PIPELINES = {
    "bicubic-256-224": (256, InterpolationMode.BICUBIC, 224),
    "bilinear-255-240": (255, InterpolationMode.BILINEAR, 240),
}


def load_rgb(path):
    """As torchvision.datasets.folder.pil_loader (ImageFolder's default loader)."""
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def crop_of(img, key):
    resize, interp, crop = PIPELINES[key]
    return T.CenterCrop(crop)(T.Resize(resize, interpolation=interp)(img))


def tensor_direct(img, key):
    resize, interp, crop = PIPELINES[key]
    pipeline = T.Compose([T.Resize(resize, interpolation=interp), T.CenterCrop(crop), T.ToTensor(),
                          T.Normalize(MEAN, STD)])
    return pipeline(img)


def tensor_from_png(path):
    with Image.open(path) as im:
        assert im.mode == "RGB", (path, im.mode)
        return T.Normalize(MEAN, STD)(T.ToTensor()(im))


def write_crop(img, stem, key, folder):
    """Save the crop PNG and check that it reproduces torchvision's tensor exactly. Returns the PNG name."""
    name = "%s.%s.png" % (stem, key)
    path = os.path.join(folder, name)
    crop = crop_of(img, key)
    crop.info = {}  # plain RGB PNG: no ICC profile or other metadata from the source
    crop.save(path, format="PNG", optimize=True)
    diff = (tensor_from_png(path) - tensor_direct(img, key)).abs().max().item()
    if diff != 0.0:
        sys.exit("error: %s does not reproduce torchvision's tensor (max abs diff %g)" % (path, diff))
    return name


def list_photos(folder):
    names = sorted(n for n in os.listdir(folder)
                   if os.path.splitext(n)[1].lower() in export_model.IMAGE_EXTENSIONS)
    if not names:
        sys.exit("error: no photos in %s" % folder)
    return names


# ---------------------------------------------------------------- odd-but-valid inputs


def small(photos, name, size):
    """The photo as RGB, resized, without its metadata (no ICC profile is carried into the odd files)."""
    with Image.open(os.path.join(photos, name)) as im:
        out = im.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    out.info = {}
    return out


def make_odd_inputs(photos, odd):
    """Create the odd inputs (deterministic PIL operations on downscaled photos). Returns their file names."""
    made = []

    # RGBA PNG, alpha varying: a horizontal ramp 0..255 plus a fully transparent and a fully opaque band.
    # The colour under alpha=0 is kept (not black), so dropping alpha and compositing over a background differ.
    rgb = np.asarray(small(photos, "chelsea.png", (160, 106)))
    h, w, _ = rgb.shape
    alpha = np.tile(np.linspace(0, 255, w).round().astype(np.uint8), (h, 1))
    alpha[:20, :] = 0
    alpha[-20:, :] = 255
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(os.path.join(odd, "rgba_alpha.png"))
    made.append("rgba_alpha.png")

    # Palette (P mode) PNG, 64 colours, no dithering, no transparency.
    pal = small(photos, "coffee.png", (150, 100)).quantize(colors=64, method=Image.Quantize.MEDIANCUT,
                                                          dither=Image.Dither.NONE)
    assert pal.mode == "P"
    pal.save(os.path.join(odd, "palette.png"))
    made.append("palette.png")

    # Greyscale (L) JPEG.
    with Image.open(os.path.join(photos, "camera.png")) as im:
        grey = im.convert("L").resize((128, 128), Image.Resampling.BICUBIC)
    grey.save(os.path.join(odd, "grey.jpg"), quality=90)
    made.append("grey.jpg")

    # CMYK JPEG with real black (K) from grey-component replacement, not PIL's naive K=0 conversion.
    rgb = np.asarray(small(photos, "rocket.jpg", (150, 100))).astype(np.int32)
    k = 255 - rgb.max(axis=2)
    denom = np.maximum(255 - k, 1)[..., None]
    cmy = np.where(k[..., None] < 255, ((255 - rgb - k[..., None]) * 255 + denom // 2) // denom, 0)
    cmyk = np.dstack([cmy, k]).clip(0, 255).astype(np.uint8)
    Image.fromarray(cmyk, "CMYK").save(os.path.join(odd, "cmyk.jpg"), quality=90)
    made.append("cmyk.jpg")

    # 16-bit greyscale PNG: the photo as v*257 (full 0..65535 range), except a top band of 24 rows holding a
    # horizontal ramp of raw 16-bit values 0..255 (black when scaled properly, a visible ramp when clipped).
    with Image.open(os.path.join(photos, "camera.png")) as im:
        g16 = np.asarray(im.convert("L").resize((128, 128), Image.Resampling.BICUBIC)).astype(np.uint16) * 257
    g16[:24, :] = np.linspace(0, 255, 128).round().astype(np.uint16)
    Image.fromarray(g16).save(os.path.join(odd, "grey16.png"))  # uint16 array -> mode I;16, 16-bit PNG
    made.append("grey16.png")

    # JPEG whose pixels are stored rotated 90 degrees counter-clockwise, with EXIF Orientation = 6
    # ("rotate 90 CW to display"): a viewer that honours EXIF shows the photo upright (150x100).
    stored = small(photos, "china.jpg", (150, 100)).transpose(Image.Transpose.ROTATE_90)  # 100 wide, 150 tall
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(os.path.join(odd, "exif_orientation6.jpg"), quality=90, exif=exif.tobytes())
    made.append("exif_orientation6.jpg")

    # 1x1 PNG.
    small(photos, "astronaut.png", (1, 1)).save(os.path.join(odd, "one_pixel.png"))
    made.append("one_pixel.png")

    # Extreme aspect ratio 2000x20 (a horizontal strip of the rocket photo).
    strip = small(photos, "rocket.jpg", (2000, 1334)).crop((0, 700, 2000, 720))
    strip.save(os.path.join(odd, "extreme_aspect_2000x20.png"), optimize=True)
    made.append("extreme_aspect_2000x20.png")
    return made


def make_invalid_inputs(photos, invalid, skimage_truncated):
    """Files that must fail to decode: skimage's truncated.jpg (cut inside its headers) if given, and
    rocket.jpg cut in the middle of its scan data."""
    os.makedirs(invalid, exist_ok=True)
    with open(os.path.join(photos, "rocket.jpg"), "rb") as f:
        data = f.read()
    with open(os.path.join(invalid, "rocket_cut_scan.jpg"), "wb") as f:
        f.write(data[: len(data) // 2])
    if skimage_truncated:
        with open(skimage_truncated, "rb") as src, open(os.path.join(invalid, "truncated.jpg"), "wb") as dst:
            dst.write(src.read())


# ---------------------------------------------------------------- model outputs


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tiny_model_matching(model_path, photos):
    """Rebuild the --tiny network and check that exporting it reproduces model_path byte for byte."""
    args = export_model.parse_args(["--tiny", "--calibration-dir", photos, "--out", model_path])
    wrapper, entry = export_model.build_model(args)
    with tempfile.TemporaryDirectory() as tmp:
        again = os.path.join(tmp, "again.onnx")
        export_model.export_onnx(wrapper, export_model.transform_params(entry)[1], again)
        if sha256(again) != sha256(model_path):
            sys.exit("error: re-exporting the tiny model does not reproduce %s; regenerate it with "
                     "tools/make_test_assets.sh" % model_path)
    return wrapper


def f32(values):
    """Shortest decimal strings that parse back to the same float32 values (as JSON numbers)."""
    return [float(repr(np.float32(v))) if np.isfinite(v) else None for v in values]


def write_outputs(wrapper, crops, reference, out_path):
    entries = []
    with torch.no_grad():
        for photo, png in crops:
            x = tensor_from_png(os.path.join(reference, png)).unsqueeze(0)
            logits, embedding = (t[0].numpy().astype(np.float32) for t in wrapper(x))
            top5 = [int(i) for i in np.argsort(-logits, kind="stable")[:5]]
            entry = {"crop": png, "logits": f32(logits), "embedding": f32(embedding), "top5": top5}
            entries.append("  %s: %s" % (json.dumps(photo), json.dumps(entry, allow_nan=False)))
            print("  %-14s |logits| max %.3g mean %.3g, |embedding| max %.3g mean %.3g, top5 %s"
                  % (photo, np.abs(logits).max(), np.abs(logits).mean(), np.abs(embedding).max(),
                     np.abs(embedding).mean(), top5), file=sys.stderr)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("{\n" + ",\n".join(entries) + "\n}\n")


def presets():
    """(name, resize, interpolation, crop) of every torchvision EfficientNet weight preset."""
    out = []
    for variant, version in [(v, "v1") for v in export_model.VARIANTS] + [("b1", "v2")]:
        resize, crop, interp = export_model.transform_params(export_model.weights_entry(variant, version))
        out.append(("%s%s" % (variant, "_v2" if version == "v2" else ""), resize, interp, crop))
    return out


def write_presets(wrapper, photos, out_path):
    """For each preset and photo: sha256 of torchvision's float32 tensor (C order, little-endian), the tensor's sum,
    and the tiny network's top-5 with their softmax probabilities (PyTorch, one thread)."""
    lines = []
    for name, resize, interp, crop in presets():
        mode = InterpolationMode(interp)
        pipeline = T.Compose([T.Resize(resize, interpolation=mode), T.CenterCrop(crop), T.ToTensor(),
                              T.Normalize(MEAN, STD)])
        entries = {}
        for photo in list_photos(photos):
            x = pipeline(load_rgb(os.path.join(photos, photo)))
            raw = x.numpy().astype("<f4").tobytes()
            with torch.no_grad():
                logits = wrapper(x.unsqueeze(0))[0][0]
            probs = torch.softmax(logits.double(), dim=0)
            top5 = [int(i) for i in np.argsort(-logits.numpy(), kind="stable")[:5]]
            entries[photo] = {"tensorSha256": hashlib.sha256(raw).hexdigest(), "tensorSum": float(x.double().sum()),
                              "top5": top5, "top5Probabilities": [float(probs[i]) for i in top5]}
        lines.append("  %s: %s" % (json.dumps(name), json.dumps(
            {"resize": resize, "interpolation": interp, "crop": crop, "photos": entries})))
        print("  preset %-6s Resize(%d, %s) + CenterCrop(%d)" % (name, resize, interp, crop), file=sys.stderr)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def write_formats(photos, folder, wrapper):
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        if f != "README.md" and os.path.isfile(os.path.join(folder, f)):
            os.remove(os.path.join(folder, f))
    variants = reference_formats.make_format_inputs(lambda name, size: small(photos, name, size), folder)
    key = reference_formats.FORMAT_PIPELINE[0]
    index = {"pipeline": key, "valid": [], "invalid": []}
    for name, what in variants:
        tensor = reference_formats.reference_tensor(reference_formats.load_rgb(os.path.join(folder, name)))
        ref = "%s.%s.f32" % (name, key)
        reference_formats.write_f32(tensor, os.path.join(folder, ref))
        with torch.no_grad():
            logits = wrapper(tensor.unsqueeze(0))[0][0].numpy()
        top5 = [int(i) for i in np.argsort(-logits, kind="stable")[:5]]
        index["valid"].append({"file": name, "what": what, "reference": ref, "top5": top5})
    failures = reference_formats.make_format_failures(lambda name, size: small(photos, name, size),
                                                      os.path.join(folder, "invalid"))
    for name, what, pil in failures:
        index["invalid"].append({"file": name, "what": what, "pil": pil})
    with open(os.path.join(folder, "formats.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print("wrote %d format variants with torchvision tensors and %d invalid files to %s"
          % (len(variants), len(failures), folder), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--photos", default="samples/photos")
    p.add_argument("--model", default="models/test/efficientnet_tiny.onnx")
    p.add_argument("--reference-dir", default="tests/assets/reference")
    p.add_argument("--odd-dir", default="tests/assets/odd")
    p.add_argument("--formats-dir", default="tests/assets/formats")
    p.add_argument("--skimage-truncated", help="path of skimage/data/truncated.jpg, copied to <odd-dir>/invalid/")
    args = p.parse_args()
    torch.set_num_threads(1)  # the outputs are reference numbers: keep the reduction order fixed

    os.makedirs(args.reference_dir, exist_ok=True)
    os.makedirs(args.odd_dir, exist_ok=True)

    crops = []
    for name in list_photos(args.photos):
        img = load_rgb(os.path.join(args.photos, name))
        stem = os.path.splitext(name)[0]
        bicubic = write_crop(img, stem, "bicubic-256-224", args.reference_dir)
        write_crop(img, stem, "bilinear-255-240", args.reference_dir)
        crops.append((name, bicubic))
    print("wrote %d x 2 crops to %s (each checked: tensor max abs diff 0)" % (len(crops), args.reference_dir),
          file=sys.stderr)

    odd = make_odd_inputs(args.photos, args.odd_dir)
    for name in odd:
        write_crop(load_rgb(os.path.join(args.odd_dir, name)), os.path.splitext(name)[0], "bicubic-256-224",
                   args.odd_dir)
    make_invalid_inputs(args.photos, os.path.join(args.odd_dir, "invalid"), args.skimage_truncated)
    print("wrote %d odd inputs and their crops to %s, invalid files to %s/invalid"
          % (len(odd), args.odd_dir, args.odd_dir), file=sys.stderr)

    table = reference_formats.normalize_table(os.path.join(args.reference_dir, "normalize.f32"))
    for name in list_photos(args.photos):
        img = load_rgb(os.path.join(args.photos, name))
        for key in PIPELINES:
            png = os.path.join(args.reference_dir, "%s.%s.png" % (os.path.splitext(name)[0], key))
            if not torch.equal(reference_formats.table_tensor(table, png), tensor_direct(img, key)):
                sys.exit("error: normalize.f32 applied to %s is not torchvision's tensor" % png)
    print("wrote normalize.f32 (checked: equal to torchvision's tensor of every photo crop)", file=sys.stderr)

    wrapper = tiny_model_matching(args.model, args.photos)
    write_formats(args.photos, args.formats_dir, wrapper)
    write_outputs(wrapper, crops, args.reference_dir, os.path.join(args.reference_dir, "outputs.json"))
    print("wrote %s" % os.path.join(args.reference_dir, "outputs.json"), file=sys.stderr)

    any_size = os.path.join(os.path.dirname(args.model), "efficientnet_tiny_anysize.onnx")
    export_model.export_onnx(wrapper, 224, any_size, any_size=True)
    write_presets(wrapper, args.photos, os.path.join(args.reference_dir, "presets.json"))
    print("wrote %s and %s" % (any_size, os.path.join(args.reference_dir, "presets.json")), file=sys.stderr)


if __name__ == "__main__":
    main()
