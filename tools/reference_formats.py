"""Format variants PIL opens by default, the torchvision float tensors of each, and files that must fail.

Used by tools/make_reference_assets.py (see there). Every valid file is checked to open with PIL and its
reference is computed from PIL.Image.open(path).convert("RGB") exactly as torchvision's ImageFolder loads it.
BMP variants PIL cannot write (4-bit, RLE4/RLE8, 16-bit, top-down, ICO bitmap frames) are written here byte by
byte; PIL is only the reader of those.
"""

import io
import os
import struct

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
# Small crops keep the committed float tensors small (48 x 48 x 3 x 4 bytes = 27 KB each); the 120x80 sources are
# downscaled (short side 80 -> 56), so the resampling's antialiasing path is exercised as with photos.
FORMAT_PIPELINE = ("bicubic-56-48", 56, InterpolationMode.BICUBIC, 48)


def load_rgb(path):
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def reference_tensor(img):
    _, resize, interp, crop = FORMAT_PIPELINE
    pipeline = T.Compose([T.Resize(resize, interpolation=interp), T.CenterCrop(crop), T.ToTensor(),
                          T.Normalize(MEAN, STD)])
    return pipeline(img)


def write_f32(tensor, path):
    """float32, little-endian, C order (NCHW without N): what the C# tests read back."""
    arr = tensor.numpy().astype("<f4")
    with open(path, "wb") as f:
        f.write(arr.tobytes())


def normalize_table(path):
    """torchvision's ToTensor + Normalize of every byte value per channel, as 3 x 256 float32 (C order)."""
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (1, 1, 3))  # 1 x 256 RGB image
    t = T.Normalize(MEAN, STD)(T.ToTensor()(Image.fromarray(ramp, "RGB")))  # 3 x 1 x 256
    table = t[:, 0, :].contiguous()
    write_f32(table, path)
    return table


def table_tensor(table, crop_png):
    """The reference tensor of a crop PNG through torchvision's own table (checked equal to the direct tensor)."""
    with Image.open(crop_png) as im:
        arr = torch.from_numpy(np.asarray(im.convert("RGB")).astype(np.int64))  # H x W x 3
    return torch.stack([table[c][arr[:, :, c]] for c in range(3)])


# ---------------------------------------------------------------- byte-level writers


def bmp_file(width, height, bpp, rows, palette=None, compression=0, masks=None, top_down=False, data=None, v5=False):
    """A BITMAPINFOHEADER (or, v5, BITMAPV5HEADER with sRGB colour space) bitmap. rows: list of bytes, top row first
    (padded here); data: pre-encoded (RLE)."""
    if data is None:
        stride = ((width * bpp + 31) // 32) * 4
        ordered = rows if top_down else rows[::-1]
        data = b"".join(r + b"\0" * (stride - len(r)) for r in ordered)
    pal = b"".join(bytes([b, g, r, 0]) for (r, g, b) in (palette or []))
    extra = b"".join(struct.pack("<I", m) for m in masks) if masks else b""
    header_size = 124 if v5 else 40
    offset = 14 + header_size + len(extra) + len(pal)
    info = struct.pack("<IiiHHIIiiII", header_size, width, -height if top_down else height, 1, bpp, compression,
                       len(data), 2835, 2835, len(palette or []), 0)
    if v5:
        info += struct.pack("<IIIII", 0, 0, 0, 0, 0x73524742) + bytes(36 + 12 + 16)  # no masks, 'sRGB
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + extra + pal + data


def quantized(img, colours):
    p = img.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    pal = p.getpalette()[: 3 * colours]
    palette = [tuple(pal[i:i + 3]) for i in range(0, len(pal), 3)]
    palette += [(0, 0, 0)] * (colours - len(palette))
    return np.asarray(p), palette


def pack4(indices):
    row = list(indices) + ([0] if len(indices) % 2 else [])
    return bytes((row[i] << 4) | row[i + 1] for i in range(0, len(row), 2))


def runs(row):
    out, i = [], 0
    while i < len(row):
        j = i
        while j + 1 < len(row) and row[j + 1] == row[i] and j + 1 - i < 254:
            j += 1
        out.append((j - i + 1, int(row[i])))
        i = j + 1
    return out


def rle8(indices):
    """Encoded runs, plus absolute mode for stretches of three or more single pixels; rows bottom-up."""
    out = bytearray()
    for row in indices[::-1]:
        pending = []

        def flush():
            while pending:
                chunk = pending[:255]
                del pending[:255]
                if len(chunk) >= 3:
                    out.extend([0, len(chunk)] + chunk + ([0] if len(chunk) % 2 else []))
                else:
                    for v in chunk:
                        out.extend([1, v])

        for count, value in runs(row):
            if count == 1:
                pending.append(value)
            else:
                flush()
                out.extend([count, value])
        flush()
        out.extend([0, 0])
    out[-2:] = bytes([0, 1])
    return bytes(out)


def rle4(indices):
    """Encoded runs only (each byte holds the run's index twice); rows bottom-up."""
    out = bytearray()
    for row in indices[::-1]:
        for count, value in runs(row):
            out.extend([count, (value << 4) | value])
        out.extend([0, 0])
    out[-2:] = bytes([0, 1])
    return bytes(out)


def dib_for_ico(img, bpp):
    """An ICO bitmap frame: BITMAPINFOHEADER with twice the height, colours bottom-up, then a 1-bit AND mask."""
    w, h = img.size
    rgb = np.asarray(img)
    if bpp == 32:
        rows = [bytes(np.hstack([rgb[y, :, ::-1], np.full((w, 1), 255, np.uint8)]).reshape(-1)) for y in range(h)]
        pal = []
    else:
        idx, pal = quantized(img, 256)
        rows = [bytes(idx[y].astype(np.uint8)) for y in range(h)]
    stride = ((w * bpp + 31) // 32) * 4
    colours = b"".join(r + b"\0" * (stride - len(r)) for r in rows[::-1])
    mask_stride = ((w + 31) // 32) * 4
    mask = bytes(mask_stride * h)  # all opaque
    info = struct.pack("<IiiHHIIiiII", 40, w, 2 * h, 1, bpp, 0, len(colours) + len(mask), 0, 0, len(pal), 0)
    return info + b"".join(bytes([b, g, r, 0]) for (r, g, b) in pal) + colours + mask


def ico_file(frames):
    """frames: list of (width, height, bpp, bytes)."""
    head = struct.pack("<HHH", 0, 1, len(frames))
    offset = 6 + 16 * len(frames)
    entries, blobs = b"", b""
    for w, h, bpp, blob in frames:
        entries += struct.pack("<BBBBHHII", w % 256, h % 256, 0, 0, 1, bpp, len(blob), offset + len(blobs))
        blobs += blob
    return head + entries + blobs


def plain_pnm(img, magic):
    arr = np.asarray(img)
    h, w = arr.shape[:2]
    if magic == "P1":
        body = "\n".join(" ".join("0" if v else "1" for v in row) for row in arr)
        return ("P1\n# plain PBM\n%d %d\n%s\n" % (w, h, body)).encode()
    values = arr.reshape(h, -1)
    body = "\n".join(" ".join(str(int(v)) for v in row) for row in values)
    return ("%s\n%d %d\n255\n%s\n" % (magic, w, h, body)).encode()


# ---------------------------------------------------------------- the variants


def make_format_inputs(small, folder):
    """Writes the variants into folder; returns [(file, description)]."""
    os.makedirs(folder, exist_ok=True)
    made = []

    def save_bytes(name, data, what):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        made.append((name, what))

    def save_pil(name, img, what, **kw):
        img.save(os.path.join(folder, name), **kw)
        made.append((name, what))

    photo = small("chelsea.png", (120, 80))
    other = small("coffee.png", (120, 80))
    w, h = photo.size
    rgb = np.asarray(photo)

    # BMP
    save_pil("bmp_1bit.bmp", photo.convert("L").point(lambda v: 255 if v > 110 else 0).convert("1"),
             "BMP 1-bit palette (PIL)", format="BMP")
    idx16, pal16 = quantized(other, 16)
    save_bytes("bmp_4bit.bmp", bmp_file(w, h, 4, [pack4(r) for r in idx16], pal16), "BMP 4-bit palette")
    save_pil("bmp_8bit.bmp", other.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE),
             "BMP 8-bit palette (PIL)", format="BMP")
    idx256, pal256 = quantized(photo, 256)
    save_bytes("bmp_rle8.bmp", bmp_file(w, h, 8, None, pal256, compression=1, data=rle8(idx256)), "BMP RLE8")
    save_bytes("bmp_rle4.bmp", bmp_file(w, h, 4, None, pal16, compression=2, data=rle4(idx16)), "BMP RLE4")
    p555 = ((rgb[..., 0].astype(np.uint16) >> 3) << 10) | ((rgb[..., 1].astype(np.uint16) >> 3) << 5) | (rgb[..., 2] >> 3)
    save_bytes("bmp_16bit_555.bmp", bmp_file(w, h, 16, [p555[y].astype("<u2").tobytes() for y in range(h)]),
               "BMP 16-bit RGB555")
    p565 = ((rgb[..., 0].astype(np.uint16) >> 3) << 11) | ((rgb[..., 1].astype(np.uint16) >> 2) << 5) | (rgb[..., 2] >> 3)
    save_bytes("bmp_16bit_565.bmp", bmp_file(w, h, 16, [p565[y].astype("<u2").tobytes() for y in range(h)],
                                             compression=3, masks=[0xF800, 0x07E0, 0x001F]),
               "BMP 16-bit RGB565 (bitfields)")
    save_pil("bmp_24bit.bmp", photo, "BMP 24-bit bottom-up (PIL)", format="BMP")
    save_bytes("bmp_24bit_topdown.bmp", bmp_file(w, h, 24, [bytes(rgb[y, :, ::-1].reshape(-1)) for y in range(h)],
                                                 top_down=True), "BMP 24-bit top-down")
    save_bytes("bmp_24bit_v5header.bmp", bmp_file(w, h, 24, [bytes(rgb[y, :, ::-1].reshape(-1)) for y in range(h)],
                                                  v5=True), "BMP 24-bit with a BITMAPV5HEADER (sRGB)")
    bgrx = [bytes(np.hstack([rgb[y, :, ::-1], np.zeros((w, 1), np.uint8)]).reshape(-1)) for y in range(h)]
    save_bytes("bmp_32bit.bmp", bmp_file(w, h, 32, bgrx), "BMP 32-bit BGRX")
    rgba = Image.fromarray(np.dstack([rgb, np.tile(np.linspace(0, 255, w).astype(np.uint8), (h, 1))]), "RGBA")
    save_pil("bmp_32bit_alpha.bmp", rgba, "BMP 32-bit with alpha (PIL)", format="BMP")

    # Netpbm
    save_pil("pbm_raw.pbm", photo.convert("L").point(lambda v: 255 if v > 110 else 0).convert("1"), "PBM raw (P4)",
             format="PPM")
    save_pil("pgm_raw.pgm", photo.convert("L"), "PGM raw (P5)", format="PPM")
    save_pil("ppm_raw.ppm", photo, "PPM raw (P6)", format="PPM")
    save_bytes("pbm_plain.pbm", plain_pnm(photo.convert("L").point(lambda v: 255 if v > 110 else 0).convert("1"), "P1"),
               "PBM plain (P1)")
    save_bytes("pgm_plain.pgm", plain_pnm(photo.convert("L"), "P2"), "PGM plain (P2)")
    save_bytes("ppm_plain.ppm", plain_pnm(photo, "P3"), "PPM plain (P3)")

    # TGA
    save_pil("tga_rgb.tga", photo, "TGA 24-bit raw (PIL)", format="TGA")
    save_pil("tga_rgb_rle.tga", photo, "TGA 24-bit RLE (PIL)", format="TGA", compression="tga_rle")
    save_pil("tga_rgba.tga", rgba, "TGA 32-bit raw (PIL)", format="TGA")
    save_pil("tga_grey.tga", photo.convert("L"), "TGA greyscale (PIL)", format="TGA")
    save_pil("tga_palette.tga", other.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE),
             "TGA colour-mapped (PIL)", format="TGA")

    # ICO: bitmap frames (largest wins), and PNG frames (PIL's writer)
    sq64, sq32 = small("astronaut.png", (64, 64)), small("astronaut.png", (32, 32))
    save_bytes("ico_bmp32.ico", ico_file([(32, 32, 32, dib_for_ico(sq32, 32)), (64, 64, 32, dib_for_ico(sq64, 32))]),
               "ICO, 32-bit bitmap frames (32, 64)")
    save_bytes("ico_bmp8.ico", ico_file([(64, 64, 8, dib_for_ico(sq64, 8))]), "ICO, 8-bit palette bitmap frame")
    save_pil("ico_png.ico", small("astronaut.png", (96, 96)), "ICO, PNG frames (PIL)", format="ICO",
             sizes=[(16, 16), (48, 48), (96, 96)])

    # GIF whose transparent index has a bright colour: PIL keeps it, a decoder that blanks transparency shows black.
    gif = other.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    arr = np.asarray(gif).copy()
    pal = gif.getpalette()[:192]
    bright = max(range(64), key=lambda i: sum(pal[3 * i:3 * i + 3]))
    arr[10:40, 20:80] = bright
    gif2 = Image.fromarray(arr, "P")
    gif2.putpalette(pal)
    save_pil("gif_transparent.gif", gif2, "GIF with a transparent palette index", format="GIF", transparency=bright)

    for name, _ in made:
        with Image.open(os.path.join(folder, name)) as im:
            im.load()  # PIL opens every one of them
    return made


def make_format_failures(small, folder):
    """Files that must become failure rows: [(file, what, what PIL does)]."""
    os.makedirs(folder, exist_ok=True)
    made = []
    photo = small("chelsea.png", (120, 80))

    def save(name, data, what):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        try:
            with Image.open(os.path.join(folder, name)) as im:
                im.load()
                pil = "opens it (%s %dx%d)" % (im.format, im.size[0], im.size[1])
        except Exception as e:  # noqa: BLE001 (any refusal is what we record)
            pil = "%s: %s" % (type(e).__name__, str(e).split("\n")[0][:80])
        made.append((name, what, pil))

    save("text.bmp", b"This file is a note saved with an image extension.\n" * 4, "text with a .bmp extension")
    buf = io.BytesIO()
    photo.save(buf, format="BMP")
    full = buf.getvalue()
    save("truncated.bmp", full[: len(full) // 2], "24-bit BMP cut in half")
    header = bmp_file(60000, 60000, 24, None, data=b"")[:54]
    save("huge_60000x60000.bmp", header + bytes(4096), "BMP header claiming 60000x60000 (10.8 GB of pixels)")
    # Colour-mapped TGA (type 1) declaring 256 map entries of 24 bits; the file ends 10 bytes into the map.
    tga = struct.pack("<BBBHHBHHHHBB", 0, 1, 1, 0, 256, 24, 0, 0, 8, 8, 8, 0) + bytes(10)
    save("bad_colormap.tga", tga, "colour-mapped TGA whose colour map is cut short")
    buf = io.BytesIO()
    try:
        photo.save(buf, format="JPEG2000")
        save("photo.jp2", buf.getvalue(), "JPEG 2000 (PIL writes it)")
    except (OSError, KeyError):
        save("photo.jp2", b"\0\0\0\x0cjP  \r\n\x87\n" + bytes(64), "JPEG 2000 signature")
    save("photo.jxl", b"\xff\x0a" + bytes(64), "JPEG XL codestream signature")
    save("drawing.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
                        b'<rect width="8" height="8" fill="red"/></svg>\n', "SVG")
    return made
