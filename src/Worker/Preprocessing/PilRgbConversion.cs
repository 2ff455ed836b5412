namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>How the decoded bands become RGB; each rule is PIL's <c>convert('RGB')</c> for that mode (docs/preprocessing.md).</summary>
public enum BandLayout
{
    /// <summary>L or LA: the grey band is replicated, alpha dropped.</summary>
    Grey,

    /// <summary>RGB or RGBA (palettes arrive expanded): the first three bands, alpha dropped without compositing.</summary>
    Rgb,

    /// <summary>CMYK (alpha dropped): PIL's naive cmyk2rgb, no colour management.</summary>
    Cmyk,
}

/// <summary>Packs decoded 8-bit pixels of any band layout into upright, interleaved RGB.</summary>
public static unsafe class PilRgbConversion
{
    /// <summary>
    /// Converts <paramref name="source"/> (<paramref name="width"/> x <paramref name="height"/>, <paramref name="bands"/>
    /// interleaved bytes per pixel) to packed RGB in <paramref name="destination"/>, turned upright per <paramref name="orientation"/>.
    /// </summary>
    public static void Pack(byte* source, int width, int height, int bands, BandLayout layout, ExifOrientation orientation, byte* destination) =>
        Pack(source, width, height, bands, layout, orientation, destination, transparentColour: null);

    /// <summary>
    /// As above; with <paramref name="transparentColour"/> (0xRRGGBB), pixels whose alpha band (the last of 2 or 4) is 0
    /// get that colour instead of their stored one (a GIF's transparent palette entry, see <see cref="GifTransparency"/>).
    /// </summary>
    public static void Pack(byte* source, int width, int height, int bands, BandLayout layout, ExifOrientation orientation, byte* destination, int? transparentColour)
    {
        var fill = transparentColour is { } colour && (bands == 2 || bands == 4) && layout != BandLayout.Cmyk;
        var (fillR, fillG, fillB) = transparentColour is { } c ? ((byte)(c >> 16), (byte)(c >> 8), (byte)c) : ((byte)0, (byte)0, (byte)0);
        var (uprightWidth, uprightHeight) = orientation.UprightSize(width, height);

        // The mapping is affine, so the stored pixel moves by a constant step along an upright row.
        long step = orientation.SourceX(1, 0, width) - orientation.SourceX(0, 0, width)
            + ((long)(orientation.SourceY(1, 0, height) - orientation.SourceY(0, 0, height)) * width);
        for (var y = 0; y < uprightHeight; y++)
        {
            var index = ((long)orientation.SourceY(0, y, height) * width) + orientation.SourceX(0, y, width);
            var output = destination + ((long)y * uprightWidth * 3);
            switch (layout)
            {
                case BandLayout.Grey:
                    for (var x = 0; x < uprightWidth; x++, index += step, output += 3)
                    {
                        var v = source[index * bands];
                        if (fill && source[(index * bands) + bands - 1] == 0)
                        {
                            output[0] = fillR;
                            output[1] = fillG;
                            output[2] = fillB;
                            continue;
                        }

                        output[0] = v;
                        output[1] = v;
                        output[2] = v;
                    }

                    break;
                case BandLayout.Rgb:
                    for (var x = 0; x < uprightWidth; x++, index += step, output += 3)
                    {
                        var p = source + (index * bands);
                        if (fill && p[bands - 1] == 0)
                        {
                            output[0] = fillR;
                            output[1] = fillG;
                            output[2] = fillB;
                            continue;
                        }

                        output[0] = p[0];
                        output[1] = p[1];
                        output[2] = p[2];
                    }

                    break;
                case BandLayout.Cmyk:
                    for (var x = 0; x < uprightWidth; x++, index += step, output += 3)
                    {
                        var p = source + (index * bands);
                        var inverseK = 255 - p[3];
                        output[0] = CmykChannel(p[0], inverseK);
                        output[1] = CmykChannel(p[1], inverseK);
                        output[2] = CmykChannel(p[2], inverseK);
                    }

                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(layout), layout, null);
            }
        }
    }

    /// <summary>Pillow Convert.c cmyk2rgb: (255 - k) - c * (255 - k) / 255, with Pillow's rounded MULDIV255.</summary>
    public static byte CmykChannel(int ink, int inverseK)
    {
        var t = (ink * inverseK) + 128;
        var product = ((t >> 8) + t) >> 8;
        var value = inverseK - product;
        return value < 0 ? (byte)0 : value > 255 ? (byte)255 : (byte)value;
    }
}
