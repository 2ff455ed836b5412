using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NetVips;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>What one file of a <see cref="MixedCorpus"/> must end as: labeled, or one failure at a stage with a reason.</summary>
/// <param name="Kind">What the file is, for the report ("truncated jpeg", "webp", ...).</param>
/// <param name="Stage">Null when the file must be labeled; else the failure's stage ("fetch", "decode").</param>
/// <param name="Reason">Text the failure's reason must contain.</param>
/// <param name="ListedByFolder">False for extensions a folder source does not list (.psd): only a manifest names them.</param>
internal sealed record Expectation(string Kind, string? Stage = null, string? Reason = null, bool ListedByFolder = true)
{
    public bool Labeled => Stage is null;
}

/// <summary>
/// A deterministic corpus of a few thousand files made from the sample photos (cropped, scaled, flipped, re-toned and
/// re-encoded as JPEG, PNG, palette PNG, RGBA, 16-bit, greyscale, GIF, TIFF, WebP, EXIF-rotated, unicode names,
/// 1x1, extreme aspect ratios, CMYK, recoverable corrupt scan data), with about one bad file in eleven mixed in:
/// empty, truncated JPEG and PNG, random bytes, HTML and PDF saved as images, a header claiming 65500x65500, a real
/// decompression-bomb PNG (12000x12000, 144 megapixels in ~150 KB), a file over the byte limit, BMP and SVG.
/// Each file's expected outcome is recorded beside it. Nothing is committed: tests write it into a temp folder.
/// </summary>
internal sealed class MixedCorpus
{
    /// <summary>The byte limit the tests configure (Pipeline:MaxImageBytes); the oversize files exceed it.</summary>
    public const long MaxImageBytes = 4L * 1024 * 1024;

    /// <summary>The pixel limit the tests configure (Preprocessing:MaxPixels); the bomb and the huge header exceed it.</summary>
    public const long MaxPixels = 50_000_000;

    private static readonly string[] ValidKinds =
    [
        "jpeg", "png", "palette png", "rgba png", "16-bit png", "greyscale jpeg", "gif", "tiff", "webp",
        "exif-rotated jpeg", "png named .jpg", "unicode name",
    ];

    private static readonly string[] BadKinds =
    [
        "empty", "truncated jpeg", "truncated png", "random bytes", "html named .jpg", "pdf named .png",
        "header claiming 65500x65500",
    ];

    private MixedCorpus(string folder, Dictionary<string, Expectation> files)
    {
        Folder = folder;
        Files = files;
    }

    public string Folder { get; }

    /// <summary>Every file, by its '/'-separated path under <see cref="Folder"/>.</summary>
    public IReadOnlyDictionary<string, Expectation> Files { get; }

    public IEnumerable<KeyValuePair<string, Expectation>> ListedByFolder => Files.Where(f => f.Value.ListedByFolder);

    /// <summary>Writes about <paramref name="valid"/> valid files plus one bad file per ten valid ones (and the rare kinds once or twice).</summary>
    public static MixedCorpus Write(string folder, int valid, int seed = 20261128)
    {
        var random = new Random(seed);
        var files = new Dictionary<string, Expectation>(StringComparer.Ordinal);
        var photos = Directory.EnumerateFiles(TestPaths.SamplePhotos)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(LoadRgb).ToList();
        try
        {
            var bad = 0;
            for (var i = 0; i < valid; i++)
            {
                var kind = ValidKinds[i % ValidKinds.Length];
                using var variant = Vary(photos[random.Next(photos.Count)], random);
                var (name, bytes) = EncodeValid(kind, variant, i, random);
                Add(folder, files, $"v/{i / 500:D2}/{name}", bytes, new Expectation(kind));

                if (i % 10 == 9)
                {
                    var badKind = BadKinds[bad % BadKinds.Length];
                    var (badName, badBytes, expected) = EncodeBad(badKind, variant, bad, random);
                    Add(folder, files, $"b/{badName}", badBytes, expected);
                    bad++;
                }
            }

            AddRareFiles(folder, files, photos[0], random);
        }
        finally
        {
            photos.ForEach(p => p.Dispose());
        }

        return new MixedCorpus(folder, files);
    }

    /// <summary>A manifest (.txt, one key per line) naming every file, BMP and SVG included.</summary>
    public string WriteManifest()
    {
        var path = Path.Combine(Folder, "manifest.txt");
        File.WriteAllLines(path, Files.Keys.Order(StringComparer.Ordinal));
        return path;
    }

    private static void AddRareFiles(string folder, Dictionary<string, Expectation> files, VipsImage photo, Random random)
    {
        // Odd but valid, once each.
        using (var one = photo.Resize(1.0 / photo.Width, vscale: 1.0 / photo.Height))
        {
            Add(folder, files, "odd/one_pixel.png", one.WriteToBuffer(".png"), new Expectation("1x1"));
        }

        using (var wide = photo.Resize(2000.0 / photo.Width, vscale: 8.0 / photo.Height))
        using (var tall = photo.Resize(6.0 / photo.Width, vscale: 1500.0 / photo.Height))
        {
            Add(folder, files, "odd/strip_2000x8.png", wide.WriteToBuffer(".png"), new Expectation("extreme aspect ratio"));
            Add(folder, files, "odd/strip_6x1500.jpg", tall.WriteToBuffer(".jpg"), new Expectation("extreme aspect ratio"));
        }

        foreach (var odd in new[] { "cmyk.jpg", "grey16.png", "rgba_alpha.png", "palette.png", "grey.jpg", "exif_orientation6.jpg" })
        {
            Add(folder, files, $"odd/{odd}", File.ReadAllBytes(Path.Combine(TestPaths.OddImages, odd)), new Expectation($"tests/assets/odd/{odd}"));
        }

        // Recoverable corrupt scan data: decoded, as PIL does (docs/preprocessing.md, decode-failure policy).
        using (var noise = VipsImage.Gaussnoise(320, 240, mean: 128, sigma: 60).Cast(Enums.BandFormat.Uchar).Bandjoin(photo.Resize(320.0 / photo.Width, vscale: 240.0 / photo.Height).ExtractBand(1, n: 2)))
        {
            var jpeg = noise.WriteToBuffer(".jpg[Q=90]");
            jpeg[jpeg.Length / 2] = 0xff;
            jpeg[(jpeg.Length / 2) + 1] = 0xd3;
            Add(folder, files, "odd/corrupt_scan_data.jpg", jpeg, new Expectation("recoverable corrupt scan data"));
        }

        // Bad, rare (each costs time or space to make).
        var bomb = DecompressionBomb(12000, 12000);
        Add(folder, files, "b/bomb-1.png", bomb, new Expectation("decompression bomb png", "decode", "image is 12000x12000 = 144 megapixels, over the 50 megapixel limit"));
        Add(folder, files, "b/bomb-2.png", bomb, new Expectation("decompression bomb png", "decode", "image is 12000x12000 = 144 megapixels, over the 50 megapixel limit"));
        var oversize = new byte[MaxImageBytes + 1];
        random.NextBytes(oversize);
        "\xff\xd8\xff\xe0"u8.CopyTo(oversize);
        Add(folder, files, "b/oversize.jpg", oversize, new Expectation("over the byte limit", "fetch", "over the limit of 4,194,304 bytes"));

        // BMP is decoded (ImageSharp); SVG is listed so that it is a failure row; a format a folder source does not list
        // (.psd) is read only through a manifest, and refused at decode.
        using (var small = photo.Resize(0.2))
        {
            Add(folder, files, "odd/photo.bmp", Bmp(small), new Expectation("bmp"));
        }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><rect width=\"64\" height=\"64\" fill=\"red\"/></svg>"u8.ToArray();
        Add(folder, files, "b/drawing.svg", svg, new Expectation("svg", "decode", "unsupported format: SVG"));
        Add(folder, files, "b/layers.psd", [.. "8BPS"u8, 0, 1, 0, 0, 0, 0, 0, 0], new Expectation("psd", "decode", "not an image: unrecognised format (starts with '8BPS')", ListedByFolder: false));
    }

    private static void Add(string folder, Dictionary<string, Expectation> files, string key, byte[] bytes, Expectation expected)
    {
        var path = Path.Combine(folder, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        files.Add(key, expected);
    }

    private static VipsImage LoadRgb(string path)
    {
        using var loaded = VipsImage.NewFromFile(path, access: Enums.Access.Random);
        using var rgb = loaded.Bands switch
        {
            1 => loaded.Bandjoin(loaded, loaded),
            2 => loaded.ExtractBand(0).Bandjoin(loaded.ExtractBand(0), loaded.ExtractBand(0)),
            > 3 => loaded.ExtractBand(0, n: 3),
            _ => loaded.Copy(),
        };
        // Downscaled once so the corpus is quick to make and to label: 160-320 px wide variants.
        using var small = rgb.Resize(320.0 / rgb.Width);
        return small.CopyMemory();
    }

    /// <summary>A random crop (60-100% per side), scale (50-100%), mirror and tone change of a photo.</summary>
    private static VipsImage Vary(VipsImage photo, Random random)
    {
        var width = (int)(photo.Width * (0.6 + (0.4 * random.NextDouble())));
        var height = (int)(photo.Height * (0.6 + (0.4 * random.NextDouble())));
        using var crop = photo.ExtractArea(random.Next(photo.Width - width + 1), random.Next(photo.Height - height + 1), width, height);
        using var scaled = crop.Resize(0.5 + (0.5 * random.NextDouble()));
        using var flipped = random.Next(2) == 0 ? scaled.Copy() : scaled.FlipHor();
        using var toned = flipped.Linear([0.8 + (0.4 * random.NextDouble())], [random.Next(-20, 21)]);
        return toned.Cast(Enums.BandFormat.Uchar);
    }

    private static (string Name, byte[] Bytes) EncodeValid(string kind, VipsImage image, int i, Random random) => kind switch
    {
        "jpeg" => ($"photo-{i:D5}.jpg", image.WriteToBuffer($".jpg[Q={random.Next(60, 96)}]")),
        "png" => ($"photo-{i:D5}.png", image.WriteToBuffer(".png")),
        "palette png" => ($"palette-{i:D5}.png", image.WriteToBuffer(".png[palette,dither=0]")),
        "rgba png" => ($"rgba-{i:D5}.png", WithAlpha(image)),
        "16-bit png" => ($"deep-{i:D5}.png", SixteenBit(image)),
        "greyscale jpeg" => ($"grey-{i:D5}.jpg", Greyscale(image)),
        "gif" => ($"anim-{i:D5}.gif", image.WriteToBuffer(".gif")),
        "tiff" => ($"scan-{i:D5}.tif", image.WriteToBuffer(".tif[compression=deflate]")),
        "webp" => ($"web-{i:D5}.webp", image.WriteToBuffer(".webp[Q=80]")),
        "exif-rotated jpeg" => ($"phone-{i:D5}.jpg", Oriented(image, 2 + (i % 7))),
        "png named .jpg" => ($"misnamed-{i:D5}.jpg", image.WriteToBuffer(".png")),
        "unicode name" => ($"фото-日本-{i:D5}.jpeg", image.WriteToBuffer(".jpg[Q=85]")),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static (string Name, byte[] Bytes, Expectation Expected) EncodeBad(string kind, VipsImage image, int i, Random random)
    {
        switch (kind)
        {
            case "empty":
                return ($"empty-{i:D4}.jpg", [], new Expectation(kind, "fetch", "file is empty"));
            case "truncated jpeg":
                var jpeg = image.WriteToBuffer(".jpg[Q=90]");
                return ($"cut-{i:D4}.jpg", jpeg[..(jpeg.Length / 2)], new Expectation(kind, "decode", "truncated or corrupt image data"));
            case "truncated png":
                var png = image.WriteToBuffer(".png");
                return ($"cut-{i:D4}.png", png[..(png.Length / 2)], new Expectation(kind, "decode", "truncated or corrupt image data"));
            case "random bytes":
                var noise = new byte[random.Next(1000, 50_000)];
                random.NextBytes(noise);
                noise[0] = 0x00; // no image signature starts with NUL
                return ($"noise-{i:D4}.jpg", noise, new Expectation(kind, "decode", "not an image: unrecognised format (starts with bytes 00"));
            case "html named .jpg":
                return ($"page-{i:D4}.jpg", Encoding.UTF8.GetBytes($"<html><body>404 Not Found {i}</body></html>"),
                    new Expectation(kind, "decode", "not an image: unrecognised format (starts with '<html><body>404 ')"));
            case "pdf named .png":
                return ($"doc-{i:D4}.png", Encoding.ASCII.GetBytes($"%PDF-1.4\n%\u00e2\u00e3\n1 0 obj << /Type /Catalog >> endobj {i}\n"),
                    new Expectation(kind, "decode", "not an image: unrecognised format (starts with '%PDF-1.4')"));
            case "header claiming 65500x65500":
                return ($"huge-{i:D4}.png", Png(65500, 65500, colourType: 2, Zlib(new byte[16])),
                    new Expectation(kind, "decode", "image is 65500x65500 = 4.3 gigapixels, over the 50 megapixel limit"));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static byte[] WithAlpha(VipsImage image)
    {
        using var alpha = VipsImage.Xyz(image.Width, image.Height).ExtractBand(0).Linear([255.0 / image.Width], [0.0]).Cast(Enums.BandFormat.Uchar);
        using var rgba = image.Bandjoin(alpha);
        return rgba.WriteToBuffer(".png");
    }

    private static byte[] SixteenBit(VipsImage image)
    {
        using var wide = (image.Cast(Enums.BandFormat.Ushort) * 257).Cast(Enums.BandFormat.Ushort);
        using var tagged = wide.Copy(interpretation: Enums.Interpretation.Rgb16);
        return tagged.WriteToBuffer(".png");
    }

    private static byte[] Greyscale(VipsImage image)
    {
        using var grey = image.Colourspace(Enums.Interpretation.Bw);
        return grey.WriteToBuffer(".jpg[Q=90]");
    }

    private static byte[] Oriented(VipsImage image, int orientation)
    {
        using var tagged = image.Mutate(m => m.Set(GValue.GIntType, "orientation", orientation));
        return tagged.WriteToBuffer(".jpg[Q=90]");
    }

    /// <summary>A real, complete PNG of <paramref name="width"/> x <paramref name="height"/> black grey pixels: tiny on disk, huge decoded.</summary>
    private static byte[] DecompressionBomb(int width, int height)
    {
        var row = new byte[width + 1]; // filter byte 0 + pixels
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        return Png(width, height, colourType: 0, compressed.ToArray());
    }

    private static byte[] Zlib(byte[] raw)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        return compressed.ToArray();
    }

    private static byte[] Png(int width, int height, byte colourType, byte[] idat)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = colourType;
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]);
        WriteChunk(stream, "IHDR", ihdr);
        WriteChunk(stream, "IDAT", idat);
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        stream.Write(word);
    }

    // PNG's CRC-32 (ISO 3309, polynomial 0xedb88320) over chunk type and data; bitwise, the files are few.
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xffffffffu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xffffffffu;
    }

    /// <summary>An uncompressed 24-bit BMP (bottom-up BGR rows padded to 4 bytes): libvips' loaders here cannot read it.</summary>
    private static byte[] Bmp(VipsImage image)
    {
        var pixels = image.WriteToMemory<byte>();
        var stride = ((image.Width * 3) + 3) & ~3;
        var size = 54 + (stride * image.Height);
        var bmp = new byte[size];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), size);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var source = ((y * image.Width) + x) * 3;
                var target = 54 + ((image.Height - 1 - y) * stride) + (x * 3);
                (bmp[target], bmp[target + 1], bmp[target + 2]) = (pixels[source + 2], pixels[source + 1], pixels[source]);
            }
        }

        return bmp;
    }
}
