using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using IsImage = SixLabors.ImageSharp.Image;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// BMP, PBM/PGM/PPM, TGA and ICO (the formats PIL opens that the bundled libvips cannot) with ImageSharp 2.x, into the
/// same <see cref="DecodedImage"/> the Exact resize reads. Only these three ImageSharp decoders are registered: every
/// other format stays with libvips. Thread-safe.
/// </summary>
internal static class ManagedImageDecoder
{
    private static readonly Configuration Formats = new(new BmpConfigurationModule(), new PbmConfigurationModule(), new TgaConfigurationModule())
    {
        // One decode per thread across images, as for libvips; pooled memory would hold a large image's buffers.
        MaxDegreeOfParallelism = 1,
        MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 16 }),
    };

    /// <summary>Decodes a BMP, PNM or TGA file to packed RGB, refusing it before decoding when it has more than <paramref name="maxPixels"/>.</summary>
    public static DecodedImage Decode(ReadOnlySpan<byte> encoded, SniffedFormat format, long maxPixels)
    {
        return DecodeWithImageSharp(encoded, FormatName(format), maxPixels, isBmp: format == SniffedFormat.Bmp);
    }

    private static string FormatName(SniffedFormat format) => format switch
    {
        SniffedFormat.Bmp => "BMP",
        SniffedFormat.Pnm => "PNM",
        SniffedFormat.Tga => "TGA",
        _ => format.ToString().ToUpperInvariant(),
    };

    private static unsafe DecodedImage DecodeWithImageSharp(ReadOnlySpan<byte> encoded, string format, long maxPixels, bool isBmp)
    {
        var bytes = encoded.ToArray();
        try
        {
            // Header only: a file claiming 60000x60000 is refused before a pixel buffer exists.
            using var header = new MemoryStream(bytes, writable: false);
            var info = IsImage.Identify(Formats, header) ?? throw ImageRejectedException.Decode($"truncated or corrupt image data: {format} header not recognised");
            ImageDecoder.CheckPixelCount(info.Width, info.Height, maxPixels);
            if (isBmp)
            {
                CheckBmpLength(bytes);
            }

            using var image = IsImage.Load<Rgb24>(Formats, bytes);
            var decoded = DecodedImage.Allocate(image.Width, image.Height);
            try
            {
                var pixels = new Span<byte>(decoded.Pointer, checked(image.Width * image.Height * 3));
                image.CopyPixelDataTo(pixels);
                if (isBmp && SixteenBitGreenBits(bytes) is { } greenBits)
                {
                    ToPilSixteenBitLevels(pixels, greenBits);
                }

                return decoded;
            }
            catch
            {
                decoded.Dispose();
                throw;
            }
        }
        catch (ImageRejectedException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Any exception while a managed decoder reads untrusted bytes is about those bytes (ImageSharp throws
            // ImageFormatException mostly, but crafted files have raised index and arithmetic exceptions too): a row.
            throw ImageRejectedException.Decode($"truncated or corrupt image data: {format}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Uncompressed bitmaps whose pixel rows run past the end of the file: PIL refuses them ("image file is truncated"),
    /// ImageSharp 2.x would read the missing rows as zeros.
    /// </summary>
    private static void CheckBmpLength(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < 30)
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: BMP of {encoded.Length} bytes ends inside its header");
        }

        var pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(encoded[10..]);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(encoded[14..]);
        long width, height;
        int bitsPerPixel;
        uint compression = 0;
        if (headerSize == 12)
        {
            (width, height, bitsPerPixel) = (BinaryPrimitives.ReadUInt16LittleEndian(encoded[18..]), BinaryPrimitives.ReadUInt16LittleEndian(encoded[20..]), BinaryPrimitives.ReadUInt16LittleEndian(encoded[24..]));
        }
        else if (encoded.Length >= 34)
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(encoded[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(encoded[22..]));
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(encoded[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(encoded[30..]);
        }
        else
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: BMP of {encoded.Length} bytes ends inside its header");
        }

        // BI_RGB (0) and BI_BITFIELDS (3, 6): rows of whole 32-bit words. RLE (1, 2) ends with its own end-of-bitmap code.
        if (compression is 0 or 3 or 6 && width > 0 && bitsPerPixel is > 0 and <= 32)
        {
            var stride = ((width * bitsPerPixel) + 31) / 32 * 4;
            var end = pixelOffset + (stride * height);
            if (end > encoded.Length)
            {
                throw ImageRejectedException.Decode($"truncated or corrupt image data: BMP pixel rows end at byte {end}, the file has {encoded.Length}");
            }
        }
    }

    /// <summary>
    /// For a 16-bit BMP in PIL's two layouts (RGB555, and RGB565 by bit fields), the green channel's width in bits;
    /// otherwise null.
    /// </summary>
    private static int? SixteenBitGreenBits(ReadOnlySpan<byte> bmp)
    {
        if (bmp.Length < 54 || BinaryPrimitives.ReadUInt16LittleEndian(bmp[28..]) != 16)
        {
            return null;
        }

        var compression = BinaryPrimitives.ReadUInt32LittleEndian(bmp[30..]);
        if (compression == 0)
        {
            return 5;
        }

        // Right after a 40-byte header, or inside a V4/V5 header at the same place.
        const int masksAt = 54;
        if (compression != 3 || bmp.Length < masksAt + 12)
        {
            return null;
        }

        var (red, green, blue) = (BinaryPrimitives.ReadUInt32LittleEndian(bmp[masksAt..]), BinaryPrimitives.ReadUInt32LittleEndian(bmp[(masksAt + 4)..]), BinaryPrimitives.ReadUInt32LittleEndian(bmp[(masksAt + 8)..]));
        return (red, green, blue) switch
        {
            (0x7c00, 0x03e0, 0x001f) => 5,
            (0xf800, 0x07e0, 0x001f) => 6,
            _ => null,
        };
    }

    private static readonly byte[] FiveBitLevels = PilLevels(5);
    private static readonly byte[] SixBitLevels = PilLevels(6);

    /// <summary>
    /// ImageSharp scales an n-bit sample x to round(x * 255 / max); PIL (Unpack.c, BGR;15 and BGR;16) truncates:
    /// x * 255 / max in integers, up to one level lower. Rounding is one-to-one, so each 8-bit value maps back to x.
    /// </summary>
    private static byte[] PilLevels(int bits)
    {
        var max = (1 << bits) - 1;
        var table = new byte[256];
        for (var v = 0; v < 256; v++)
        {
            var x = (int)Math.Round(v * max / 255.0, MidpointRounding.AwayFromZero);
            table[v] = (byte)(x * 255 / max);
        }

        return table;
    }

    private static void ToPilSixteenBitLevels(Span<byte> rgb, int greenBits)
    {
        var green = greenBits == 6 ? SixBitLevels : FiveBitLevels;
        for (var i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = FiveBitLevels[rgb[i]];
            rgb[i + 1] = green[rgb[i + 1]];
            rgb[i + 2] = FiveBitLevels[rgb[i + 2]];
        }
    }

    /// <summary>
    /// PIL (IcoImagePlugin) opens the frame with the most pixels, then the deepest colour, then the last in the file;
    /// PNG frames are decoded by libvips, BMP frames (a DIB with twice the height: colours, then the AND mask, which
    /// convert('RGB') drops) by the BMP decoder after a file header is put in front.
    /// </summary>
    public static DecodedImage DecodeIcoBitmap(ReadOnlySpan<byte> dib, long maxPixels)
    {
        if (dib.Length < 40)
        {
            throw ImageRejectedException.Decode("truncated or corrupt image data: ICO frame ends inside its bitmap header");
        }

        var headerSize = BinaryPrimitives.ReadInt32LittleEndian(dib);
        var bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(dib[14..]);
        var compression = BinaryPrimitives.ReadUInt32LittleEndian(dib[16..]);
        var coloursUsed = BinaryPrimitives.ReadUInt32LittleEndian(dib[32..]);
        if (headerSize < 40 || headerSize > dib.Length || coloursUsed > 256)
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: ICO frame has a bitmap header of {headerSize} bytes");
        }

        var paletteBytes = bitsPerPixel <= 8 ? (coloursUsed == 0 ? 1 << bitsPerPixel : (int)coloursUsed) * 4 : 0;
        var masks = headerSize == 40 && compression == 3 ? 12 : 0;
        var file = new byte[14 + dib.Length];
        "BM"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(2), (uint)file.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(10), (uint)(14 + headerSize + masks + paletteBytes));
        dib.CopyTo(file.AsSpan(14));
        var doubled = BinaryPrimitives.ReadInt32LittleEndian(dib[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14 + 8), doubled / 2);
        return DecodeWithImageSharp(file, "ICO", maxPixels, isBmp: true);
    }

    /// <summary>The bytes of the ICO frame PIL would open, and whether they are a PNG (else a DIB for <see cref="DecodeIcoBitmap"/>).</summary>
    public static ReadOnlySpan<byte> SelectIcoFrame(ReadOnlySpan<byte> encoded, out bool isPng)
    {
        var count = BinaryPrimitives.ReadUInt16LittleEndian(encoded[4..]);
        if (encoded.Length < 6 + (16 * count))
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: ICO directory of {count} frames does not fit in {encoded.Length} bytes");
        }

        var best = -1;
        (int Square, int Depth) bestKey = default;
        for (var i = 0; i < count; i++)
        {
            var entry = encoded.Slice(6 + (16 * i), 16);
            var width = entry[0] == 0 ? 256 : entry[0];
            var height = entry[1] == 0 ? 256 : entry[1];
            var bpp = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
            var depth = bpp != 0 ? bpp : entry[2] != 0 ? (int)Math.Ceiling(Math.Log2(entry[2])) : 256;
            var key = (width * height, depth);
            if (best < 0 || key.CompareTo(bestKey) >= 0)
            {
                (best, bestKey) = (i, key);
            }
        }

        if (best < 0)
        {
            throw ImageRejectedException.Decode("truncated or corrupt image data: ICO directory lists no frames");
        }

        var chosen = encoded.Slice(6 + (16 * best), 16);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(chosen[8..]);
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(chosen[12..]);
        if (offset >= encoded.Length || size == 0)
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: ICO frame at byte {offset} of {size} bytes lies outside the {encoded.Length}-byte file");
        }

        var available = encoded[(int)offset..];
        var frame = available[..(int)Math.Min(size, (uint)available.Length)];
        isPng = frame.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]);
        return frame;
    }
}
