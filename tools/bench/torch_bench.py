#!/usr/bin/python3
"""PyTorch side of tools/bench.sh: the benchmark's model, its corpus, and the two PyTorch baselines.

Subcommands (run with Debian's /usr/bin/python3: python3-torch 1.13, python3-torchvision 0.14, python3-onnx):

  export DIR      EfficientNet-B0 from torchvision (weights=None, BatchNorm recalibrated on samples/photos exactly as
                  tools/export_model.py does) -> DIR/efficientnet_b0.onnx (+ .json spec, labels) and
                  DIR/efficientnet_b0.pt (the same module's state dict), so that ONNX Runtime and both PyTorch loops
                  run identical weights. With --fp16 also DIR/efficientnet_b0_fp16.onnx.
  corpus DIR N    N JPEGs varied deterministically from samples/photos (crop, scale to a 500-800 px long side, flip,
                  quality 70-95); file i depends only on i, so a smaller corpus is a prefix of a larger one.
  seed DIR        the classic torchvision example: per image, Image.open().convert('RGB'), Resize/CenterCrop/ToTensor/
                  Normalize, model at batch 1 under no_grad, softmax, top-5. Prints one "seed img_s=<x>" line.
  dataloader DIR  a competent pipeline: Dataset + DataLoader with worker processes, inference_mode, softmax, top-5;
                  tries batch 8/16 x workers 1/2 and prints one line per configuration plus the best
                  ("torch img_s=<x> batch=<b> workers=<w>").

Timing starts after a warm-up batch (model load and the first allocation are not counted), as for our numbers.
"""

import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))

MODEL = "efficientnet_b0"


def export(args):
    import torch
    import export_model as em

    os.makedirs(args.dir, exist_ok=True)
    onnx_path = os.path.join(args.dir, MODEL + ".onnx")
    opts = em.parse_args(["--variant", "b0", "--out", onnx_path,
                          "--calibration-dir", os.path.join(ROOT, "samples", "photos")])
    wrapper, entry = em.build_model(opts)
    resize, crop, interpolation = em.transform_params(entry)
    em.export_onnx(wrapper, crop, onnx_path)
    em.write_spec(opts, entry, crop, resize, interpolation, onnx_path[:-5] + ".json")
    em.write_labels(args.dir)
    torch.save(wrapper.state_dict(), os.path.join(args.dir, MODEL + ".pt"))
    if args.fp16:
        fp16_path = os.path.join(args.dir, MODEL + "_fp16.onnx")
        em.export_onnx(wrapper, crop, fp16_path)
        em.convert_to_fp16(fp16_path)
        fp16_opts = em.parse_args(["--variant", "b0", "--fp16", "--out", fp16_path])
        em.write_spec(fp16_opts, entry, crop, resize, interpolation, fp16_path[:-5] + ".json")
    print("exported %s (%d bytes) and its state dict" % (onnx_path, os.path.getsize(onnx_path)))


def load_model(folder):
    """The exported module (logits, embedding) with the exported weights, in eval mode."""
    import torch
    from torchvision.models import efficientnet_b0
    import export_model as em

    wrapper = em.LogitsAndEmbedding.wrap(efficientnet_b0(weights=None))
    wrapper.load_state_dict(torch.load(os.path.join(folder, MODEL + ".pt")))
    return wrapper.eval()


def transform():
    """torchvision's B0 V1 transform: Resize(256, bicubic), CenterCrop(224), ToTensor, Normalize."""
    from torchvision.models import EfficientNet_B0_Weights
    return EfficientNet_B0_Weights.IMAGENET1K_V1.transforms()


def corpus_file(sources, i, out_dir):
    from PIL import Image, ImageOps

    rng = random.Random(i)
    with Image.open(sources[i % len(sources)]) as src:
        im = src.convert("RGB")
    w, h = im.size
    frac = rng.uniform(0.6, 1.0)
    cw, ch = max(32, int(w * frac)), max(32, int(h * rng.uniform(max(0.6, frac - 0.15), min(1.0, frac + 0.15))))
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    im = im.crop((x, y, x + cw, y + ch))
    long_side = rng.randint(500, 800)
    scale = long_side / max(cw, ch)
    im = im.resize((max(1, round(cw * scale)), max(1, round(ch * scale))), Image.BICUBIC)
    if rng.random() < 0.5:
        im = ImageOps.mirror(im)
    path = os.path.join(out_dir, "img%06d.jpg" % i)
    im.save(path, "JPEG", quality=rng.randint(70, 95))


def corpus(args):
    from multiprocessing import Pool

    photos = os.path.join(ROOT, "samples", "photos")
    sources = sorted(os.path.join(photos, n) for n in os.listdir(photos) if n.endswith((".jpg", ".png")))
    os.makedirs(args.dir, exist_ok=True)
    todo = [i for i in range(args.n) if not os.path.exists(os.path.join(args.dir, "img%06d.jpg" % i))]
    with Pool(os.cpu_count()) as pool:
        pool.starmap(corpus_file, [(sources, i, args.dir) for i in todo], chunksize=64)
    print("corpus %s: %d images (%d new)" % (args.dir, args.n, len(todo)))


def images(folder, limit):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".jpg"))[:limit]
    return [os.path.join(folder, n) for n in names]


def use_all_cores(torch):
    """Intra-op threads = cores, as a stock PyTorch build chooses. Debian's 1.13 starts with one thread (OpenMP sees
    one), which would make both PyTorch rows a weak configuration: measured here at batch 8, 7 images/s on one thread
    against 50 on two."""
    torch.set_num_threads(os.cpu_count() or 1)


def seed(args):
    """The classic per-image loop (torchvision's ImageNet example at batch 1)."""
    import torch
    from PIL import Image

    use_all_cores(torch)
    model, t = load_model(args.dir), transform()
    paths = images(args.images, args.limit)

    def one(path):
        img = Image.open(path).convert("RGB")
        with torch.no_grad():
            logits, _ = model(t(img).unsqueeze(0))
            return torch.nn.functional.softmax(logits, dim=1).topk(5)

    one(paths[0])
    start = time.perf_counter()
    for p in paths:
        one(p)
    elapsed = time.perf_counter() - start
    print("seed img_s=%.1f images=%d seconds=%.1f" % (len(paths) / elapsed, len(paths), elapsed))


class Files:
    """A Dataset of image paths -> preprocessed tensors (module level so worker processes can pickle it)."""

    def __init__(self, paths, t):
        self.paths, self.t = paths, t

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        from PIL import Image
        with Image.open(self.paths[i]) as img:
            return self.t(img.convert("RGB"))


def dataloader(args):
    import torch
    from torch.utils.data import DataLoader

    use_all_cores(torch)  # the main process runs the model; DataLoader's workers decode with one thread each
    model, t = load_model(args.dir), transform()
    paths = images(args.images, args.limit)
    best = None
    for batch in (8, 16):
        for workers in (1, 2):
            loader = DataLoader(Files(paths, t), batch_size=batch, num_workers=workers, pin_memory=False,
                                persistent_workers=False, prefetch_factor=4)
            done, start = 0, None
            with torch.inference_mode():
                for x in loader:
                    if start is None:  # the first batch pays worker start-up and the model's first run
                        model(x)
                        start = time.perf_counter()
                        continue
                    logits, _ = model(x)
                    torch.nn.functional.softmax(logits, dim=1).topk(5)
                    done += x.shape[0]
            rate = done / (time.perf_counter() - start)
            print("dataloader batch=%d workers=%d img_s=%.1f" % (batch, workers, rate), flush=True)
            if best is None or rate > best[0]:
                best = (rate, batch, workers)
    print("torch img_s=%.1f batch=%d workers=%d" % best)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("dir")
    e.add_argument("--fp16", action="store_true")
    c = sub.add_parser("corpus")
    c.add_argument("dir")
    c.add_argument("n", type=int)
    for name in ("seed", "dataloader"):
        s = sub.add_parser(name)
        s.add_argument("dir", help="folder of the exported model (export DIR)")
        s.add_argument("--images", required=True, help="corpus folder")
        s.add_argument("--limit", type=int, default=400, help="images to time")
    args = p.parse_args()
    {"export": export, "corpus": corpus, "seed": seed, "dataloader": dataloader}[args.cmd](args)


if __name__ == "__main__":
    main()
