namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>Which decoder gets the bytes, decided from the bytes themselves (a file's extension is never trusted).</summary>
public enum SniffedFormat
{
    /// <summary>Anything else: libvips decides (JPEG, PNG, WebP, GIF, TIFF, HEIF/AVIF, or not an image).</summary>
    Libvips,

    /// <summary>Windows bitmap ("BM").</summary>
    Bmp,

    /// <summary>Netpbm P1-P6 (PBM, PGM, PPM; plain and raw).</summary>
    Pnm,

    /// <summary>Windows icon (00 00 01 00): the largest frame, as PIL picks it.</summary>
    Ico,

    /// <summary>Truevision TGA: no signature, recognised by a plausible header as PIL's TGA plugin does.</summary>
    Tga,

    /// <summary>Formats PIL opens (JPEG 2000) or people have, that no decoder here reads: a failure row, never a skip.</summary>
    Unsupported,
}

/// <summary>Content sniffing, in PIL's spirit: magic numbers first, TGA's header checks last.</summary>
public static class ImageFormatSniffer
{
    /// <summary>The format of <paramref name="encoded"/>; for <see cref="SniffedFormat.Unsupported"/>, <paramref name="name"/> says which.</summary>
    public static SniffedFormat Sniff(ReadOnlySpan<byte> encoded, out string name)
    {
        name = string.Empty;
        if (encoded.StartsWith("BM"u8))
        {
            name = "BMP";
            return SniffedFormat.Bmp;
        }

        if (encoded.Length >= 3 && encoded[0] == (byte)'P' && encoded[1] is >= (byte)'1' and <= (byte)'6' && IsPnmSpace(encoded[2]))
        {
            name = "PNM";
            return SniffedFormat.Pnm;
        }

        if (encoded.StartsWith((ReadOnlySpan<byte>)[0, 0, 1, 0]) && encoded.Length >= 6 && (encoded[4] | encoded[5]) != 0)
        {
            name = "ICO";
            return SniffedFormat.Ico;
        }

        if (encoded.StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0c, (byte)'j', (byte)'P', 0x20, 0x20]) || encoded.StartsWith((ReadOnlySpan<byte>)[0xff, 0x4f, 0xff, 0x51]))
        {
            name = "JPEG 2000";
            return SniffedFormat.Unsupported;
        }

        if (encoded.StartsWith((ReadOnlySpan<byte>)[0xff, 0x0a]) || encoded.StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0c, (byte)'J', (byte)'X', (byte)'L', 0x20]))
        {
            name = "JPEG XL";
            return SniffedFormat.Unsupported;
        }

        if (LooksLikeSvg(encoded))
        {
            name = "SVG";
            return SniffedFormat.Unsupported;
        }

        if (LooksLikeTga(encoded))
        {
            name = "TGA";
            return SniffedFormat.Tga;
        }

        return SniffedFormat.Libvips;
    }

    private static bool IsPnmSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'#';

    /// <summary>"&lt;svg" near the start of text (after an XML declaration, comments or a doctype).</summary>
    private static bool LooksLikeSvg(ReadOnlySpan<byte> encoded)
    {
        var head = encoded[..Math.Min(encoded.Length, 1024)];
        if (head.StartsWith((ReadOnlySpan<byte>)[0xef, 0xbb, 0xbf]))
        {
            head = head[3..];
        }

        head = head.TrimStart(" \t\r\n"u8);
        return head.StartsWith("<"u8) && head.IndexOf("<svg"u8) >= 0;
    }

    /// <summary>
    /// PIL's TgaImagePlugin has no signature either: it accepts a header whose colour-map type is 0 or 1, image type is
    /// one it knows (1-3 raw, 9-11 RLE), size is non-zero and depth is 1, 8, 16, 24 or 32. It is tried after every
    /// format with a signature, so only bytes no other decoder claims come here.
    /// </summary>
    private static bool LooksLikeTga(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < 18)
        {
            return false;
        }

        var colourMapType = encoded[1];
        var imageType = encoded[2];
        var width = encoded[12] | (encoded[13] << 8);
        var height = encoded[14] | (encoded[15] << 8);
        var depth = encoded[16];
        return colourMapType is 0 or 1
            && imageType is 1 or 2 or 3 or 9 or 10 or 11
            && width > 0 && height > 0
            && depth is 1 or 8 or 16 or 24 or 32;
    }
}
