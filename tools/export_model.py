#!/usr/bin/python3
"""Export a torchvision EfficientNet to ONNX for EfficientNet.Batch.

The exported graph has
  * one input  ``input``     float32 [batch, 3, H, W] (NCHW, ImageNet-normalised RGB; H = W = crop size)
  * two outputs ``logits``    float32 [batch, 1000]   (raw class scores, no softmax)
                ``embedding`` float32 [batch, C]      (features -> global average pool -> flatten;
                                                       logits = classifier(embedding))
The batch axis is dynamic and named ``batch``; opset 17.

Beside ``--out PATH.onnx`` it writes
  * ``PATH.json``              the model spec read by the C# side (input, preprocessing, outputs, labels)
  * ``imagenet_labels.txt``    the 1000 ImageNet class names, one per line (from torchvision)

Weights:
  * ``--pretrained``  torchvision's ImageNet weights (downloaded into the torch hub cache; needs network access,
                      fails with a clear message otherwise).
  * default           random weights (``--seed``), with the BatchNorm running statistics recalibrated on the
                      photos of ``--calibration-dir``: a randomly initialised EfficientNet in eval mode otherwise
                      gives outputs of order 1e-14. Recalibration = BatchNorm layers in train mode with
                      momentum=None (cumulative average), one no-grad forward pass over all photos (one batch,
                      preprocessed with the variant's transform), then eval. Dropout/stochastic depth stay in eval.

Model choice:
  * ``--variant b0..b7``  torchvision's efficientnet_b0..b7. ``--weights-version v2`` selects the IMAGENET1K_V2
                          weights/transform (only b1 has them: Resize 255 bilinear, crop 240).
  * ``--tiny``            a small network from the same builder (B0 layout, width 0.25, depth 0.34, ~0.5M params,
                          ~2 MB) that uses the B0 transform; random weights only. For tests.

Preprocessing in the spec comes from torchvision's weight enums (EfficientNet_B*_Weights.*.transforms()):
resize the short side to ``resizeShortSide`` with ``interpolation``, centre-crop ``cropWidth`` x ``cropHeight``,
divide by ``scale`` (255), subtract ``mean``, divide by ``std``.

``--fp16`` rewrites the exported fp32 graph: weights, the input and both outputs become float16 (feed float16
tensors). ONNX Runtime's CPU provider runs it by inserting Casts around ops without fp16 kernels; on the tiny model
it matched the fp32 PyTorch outputs within 1e-3 (logits) / 4.5e-3 (embedding). The spec is unchanged apart from
the name (the spec has no dtype field).

The export is deterministic: the same arguments give the same bytes. The calibration pass runs in float64
so the float32 statistics do not depend on the order of reductions (thread count): verified by exporting twice.
Timing on 2 cores (7 calibration photos): tiny 3 s, b0 4 s, b7 about 4 minutes (float64 calibration at 600x600).

Examples (from the repository root, with Debian's python3-torch/torchvision/onnx):
  /usr/bin/python3 tools/export_model.py --tiny --out models/test/efficientnet_tiny.onnx
  /usr/bin/python3 tools/export_model.py --variant b0 --out models/b0/efficientnet_b0.onnx
  /usr/bin/python3 tools/export_model.py --variant b0 --pretrained --out models/b0/efficientnet_b0.onnx
  /usr/bin/python3 tools/export_model.py --variant b3 --fp16 --out models/b3/efficientnet_b3_fp16.onnx
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

VARIANTS = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"]
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
LABELS_FILE = "imagenet_labels.txt"


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--variant", choices=VARIANTS, help="torchvision efficientnet_<variant>")
    which.add_argument("--tiny", action="store_true",
                       help="small test network (B0 layout, width 0.25, depth 0.34, B0 transform)")
    p.add_argument("--weights-version", choices=["v1", "v2"], default="v1",
                   help="which torchvision weight enum entry gives the transform (and weights with --pretrained); "
                        "v2 exists for b1 only (default v1)")
    p.add_argument("--pretrained", action="store_true",
                   help="load torchvision's ImageNet weights (needs network access to download them)")
    p.add_argument("--seed", type=int, default=0, help="seed for random weights (default 0)")
    p.add_argument("--calibration-dir", default="samples/photos",
                   help="folder of photos for BatchNorm recalibration of random weights (default samples/photos)")
    p.add_argument("--max-calibration-images", type=int, default=64,
                   help="use at most this many photos (sorted by name) for recalibration (default 64)")
    p.add_argument("--threads", type=int, default=0,
                   help="torch intra-op threads (default 0: torch's default; the bytes do not depend on it)")
    p.add_argument("--fp16", action="store_true",
                   help="convert weights, input and outputs to float16 after export")
    p.add_argument("--name", help="model name written to the spec (default derived from the options)")
    p.add_argument("--out", required=True, help="output model path, ending in .onnx")
    args = p.parse_args(argv)
    if not args.out.endswith(".onnx"):
        p.error("--out must end in .onnx")
    if args.tiny and args.pretrained:
        p.error("--tiny has no pretrained weights")
    if args.weights_version == "v2" and args.variant != "b1":
        p.error("--weights-version v2 exists for --variant b1 only")
    if args.max_calibration_images < 1:
        p.error("--max-calibration-images must be >= 1")
    if args.threads < 0:
        p.error("--threads must be >= 0")
    return args


def weights_entry(variant, version):
    """The torchvision weight enum entry (holds the transform and the download URL)."""
    from torchvision.models import efficientnet as tv_eff
    enum = getattr(tv_eff, "EfficientNet_%s_Weights" % variant.upper())
    return getattr(enum, "IMAGENET1K_V1" if version == "v1" else "IMAGENET1K_V2")


def transform_params(entry):
    """(resize_short_side, crop, interpolation name) of a weight enum entry's ImageClassification transform."""
    t = entry.transforms()
    resize = t.resize_size[0] if isinstance(t.resize_size, (list, tuple)) else t.resize_size
    crop = t.crop_size[0] if isinstance(t.crop_size, (list, tuple)) else t.crop_size
    return int(resize), int(crop), t.interpolation.value  # InterpolationMode.value is "bicubic"/"bilinear"/...


def model_name(args):
    if args.name:
        return args.name
    base = "efficientnet_tiny" if args.tiny else "efficientnet_%s" % args.variant
    if args.weights_version == "v2":
        base += "_v2"
    if not args.pretrained:
        base += "_random"
    if args.fp16:
        base += "_fp16"
    return base


def build_network(args):
    """The torchvision EfficientNet (not yet calibrated), deterministic for the given seed."""
    import torch
    from torchvision.models import efficientnet as tv_eff

    torch.manual_seed(args.seed)
    if args.tiny:
        setting, last_channel = tv_eff._efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.34)
        return tv_eff.EfficientNet(setting, 0.2, last_channel=last_channel)

    builder = getattr(tv_eff, "efficientnet_%s" % args.variant)
    if not args.pretrained:
        return builder(weights=None)
    entry = weights_entry(args.variant, args.weights_version)
    try:
        return builder(weights=entry)
    except Exception as e:  # urllib.error.URLError, socket errors, HTTP errors, ...
        sys.exit("error: could not download the pretrained weights %s\n  from %s\n  (%s: %s)\n"
                 "  This needs network access to download.pytorch.org. Offline, put the .pth file into the torch hub "
                 "cache (%s/checkpoints/) or export random weights (drop --pretrained)."
                 % (entry, entry.url, type(e).__name__, e, torch.hub.get_dir()))


def list_images(folder, limit):
    if not os.path.isdir(folder):
        sys.exit("error: calibration folder not found: %s" % folder)
    names = sorted(n for n in os.listdir(folder) if os.path.splitext(n)[1].lower() in IMAGE_EXTENSIONS)
    return [os.path.join(folder, n) for n in names][:limit]


def recalibrate_batchnorm(net, entry, folder, limit):
    """Train-mode BatchNorm (momentum=None) over one no-grad pass of the photos, then eval()."""
    import torch
    from PIL import Image

    transform = entry.transforms()
    tensors, used = [], []
    for path in list_images(folder, limit):
        try:
            with Image.open(path) as im:
                tensors.append(transform(im.convert("RGB")))  # as torchvision's ImageFolder loads images
            used.append(os.path.basename(path))
        except Exception as e:  # unreadable or truncated file: skip it, calibration needs only a few
            print("warning: skipping %s for calibration (%s)" % (path, e), file=sys.stderr)
    if not tensors:
        sys.exit("error: no readable photos in %s for BatchNorm recalibration" % folder)
    batch = torch.stack(tensors)

    net.eval()  # dropout and stochastic depth off
    bn_layers = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bn_layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average: after one batch, running stats = that batch's stats
        m.train()
    # The pass runs in float64: the statistics then no longer depend on the order of float reductions (thread
    # count, SIMD width) once rounded back to float32, so the exported bytes are reproducible.
    net.double()
    with torch.no_grad():
        net(batch.double())
    net.float()
    net.eval()
    print("recalibrated %d BatchNorm layers on %d photos: %s" % (len(bn_layers), len(used), ", ".join(used)),
          file=sys.stderr)
    return batch


class LogitsAndEmbedding:
    """Factory for the export wrapper (a class so torch is imported lazily)."""

    @staticmethod
    def wrap(net):
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.features = inner.features
                self.avgpool = inner.avgpool
                self.classifier = inner.classifier

            def forward(self, x):
                embedding = torch.flatten(self.avgpool(self.features(x)), 1)
                logits = self.classifier(embedding)
                return logits, embedding

        return Wrapper(net).eval()


def build_model(args):
    """The eval-mode wrapper module (logits, embedding), its weight entry and the input size.

    Shared with tools/make_reference_assets.py so that the PyTorch reference outputs come from exactly the
    network that was exported."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    entry = weights_entry("b0" if args.tiny else args.variant, args.weights_version)
    net = build_network(args)
    if not args.pretrained:
        recalibrate_batchnorm(net, entry, args.calibration_dir, args.max_calibration_images)
    net.eval()
    return LogitsAndEmbedding.wrap(net), entry


def export_onnx(wrapper, crop, path, any_size=False):
    """any_size: height and width are named axes too (for one network run at every preset's crop size in tests)."""
    import torch

    dummy = torch.zeros(1, 3, crop, crop, dtype=torch.float32)
    axes = {0: "batch", 2: "height", 3: "width"} if any_size else {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            wrapper, dummy, path,
            export_params=True,
            opset_version=17,
            do_constant_folding=True,
            input_names=["input"],
            output_names=["logits", "embedding"],
            dynamic_axes={"input": axes, "logits": {0: "batch"}, "embedding": {0: "batch"}},
        )


def convert_to_fp16(path):
    """Rewrite an fp32 ONNX file as fp16: float initializers/constants, Cast targets, graph input and outputs.

    ONNX Runtime's CPU provider lacks fp16 kernels for some ops; it inserts Cast nodes around them by itself,
    so the fp16 model runs everywhere (fast on GPUs)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load(path)
    g = model.graph

    def to_half(t):
        if t.data_type != TensorProto.FLOAT:
            return t
        arr = numpy_helper.to_array(t).astype(np.float16)
        return numpy_helper.from_array(arr, t.name)

    new_inits = [to_half(t) for t in g.initializer]
    del g.initializer[:]
    g.initializer.extend(new_inits)
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(to_half(a.t))
            if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.FLOAT16
    del g.value_info[:]  # shapes/types of intermediates are re-inferred by the runtime
    onnx.checker.check_model(model)
    onnx.save(model, path)


def write_spec(args, entry, crop, resize, interpolation, spec_path):
    spec = {
        "name": model_name(args),
        "input": {"name": "input", "layout": "nchw", "width": crop, "height": crop},
        "preprocess": {
            "resizeShortSide": resize,
            "interpolation": interpolation,
            "cropWidth": crop,
            "cropHeight": crop,
            "scale": 255,
            "mean": list(entry.transforms().mean),
            "std": list(entry.transforms().std),
        },
        "outputs": {"logits": "logits", "embedding": "embedding", "isProbabilities": False},
        "labels": LABELS_FILE,
        "randomWeights": not args.pretrained,
    }
    with open(spec_path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")


def write_labels(folder):
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    assert len(_IMAGENET_CATEGORIES) == 1000
    with open(os.path.join(folder, LABELS_FILE), "w", encoding="utf-8", newline="\n") as f:
        for name in _IMAGENET_CATEGORIES:
            assert "\n" not in name
            f.write(name + "\n")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv=None):
    args = parse_args(argv)
    import torch

    wrapper, entry = build_model(args)
    resize, crop, interpolation = transform_params(entry)

    out = args.out
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    # Export to a temporary file first so that a failed export never leaves half a model behind.
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=folder)
    os.close(fd)
    try:
        export_onnx(wrapper, crop, tmp)
        if args.fp16:
            convert_to_fp16(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it 0600
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)

    spec_path = out[: -len(".onnx")] + ".json"
    write_spec(args, entry, crop, resize, interpolation, spec_path)
    write_labels(folder)

    with torch.no_grad():
        emb_dim = wrapper(torch.zeros(1, 3, crop, crop))[1].shape[1]
    params = sum(p.numel() for p in wrapper.parameters())
    print("wrote %s (%d bytes, sha256 %s)" % (out, os.path.getsize(out), sha256(out)))
    print("  %s params, embedding dim %d, input 3x%dx%d, preprocess resize %d %s crop %d"
          % (params, emb_dim, crop, crop, resize, interpolation, crop))
    print("wrote %s and %s" % (spec_path, os.path.join(os.path.dirname(out) or ".", LABELS_FILE)))


if __name__ == "__main__":
    main()
