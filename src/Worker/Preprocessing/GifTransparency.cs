namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// The colour PIL gives a GIF's transparent pixels. PIL opens the first frame in palette mode and convert('RGB') looks
/// every index up, the transparent one included, so those pixels get the palette colour stored for that index; libvips
/// returns them as black with alpha 0 and does not expose the palette, so it is read here from the GIF's blocks.
/// </summary>
public static class GifTransparency
{
    /// <summary>
    /// The first frame's transparent colour as 0xRRGGBB, or null when the first frame has no transparent index (or the
    /// bytes are not a GIF this parser can follow: then libvips' decision stands).
    /// </summary>
    public static int? FirstFrameColour(ReadOnlySpan<byte> gif)
    {
        if (gif.Length < 13 || !(gif.StartsWith("GIF87a"u8) || gif.StartsWith("GIF89a"u8)))
        {
            return null;
        }

        var screenFlags = gif[10];
        var position = 13;
        var globalTable = ReadOnlySpan<byte>.Empty;
        if ((screenFlags & 0x80) != 0)
        {
            var length = 3 << ((screenFlags & 7) + 1);
            if (position + length > gif.Length)
            {
                return null;
            }

            globalTable = gif.Slice(position, length);
            position += length;
        }

        int? transparentIndex = null;
        while (position < gif.Length)
        {
            switch (gif[position])
            {
                case 0x21 when position + 1 < gif.Length:
                    var label = gif[position + 1];
                    position += 2;
                    if (label == 0xf9 && position + 5 <= gif.Length && gif[position] >= 4)
                    {
                        transparentIndex = (gif[position + 1] & 1) != 0 ? gif[position + 4] : null;
                    }

                    if (!SkipSubBlocks(gif, ref position))
                    {
                        return null;
                    }

                    break;
                case 0x2c when position + 10 <= gif.Length:
                    if (transparentIndex is not { } index)
                    {
                        return null;
                    }

                    var imageFlags = gif[position + 9];
                    var table = globalTable;
                    if ((imageFlags & 0x80) != 0)
                    {
                        var length = 3 << ((imageFlags & 7) + 1);
                        var start = position + 10;
                        if (start + length > gif.Length)
                        {
                            return null;
                        }

                        table = gif.Slice(start, length);
                    }

                    // PIL pads a short palette with black.
                    return (index * 3) + 2 < table.Length ? (table[index * 3] << 16) | (table[(index * 3) + 1] << 8) | table[(index * 3) + 2] : 0;
                default:
                    return null;
            }
        }

        return null;
    }

    private static bool SkipSubBlocks(ReadOnlySpan<byte> gif, ref int position)
    {
        while (position < gif.Length)
        {
            var size = gif[position];
            position += 1 + size;
            if (size == 0)
            {
                return position <= gif.Length;
            }
        }

        return false;
    }
}
