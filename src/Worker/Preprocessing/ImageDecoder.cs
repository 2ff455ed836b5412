using System.Globalization;
using System.Text;
using EfficientNet.Batch.Models;
using NetVips;
using VipsImage = NetVips.Image;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// Decodes untrusted image bytes with libvips into upright RGB, under the limits and failure policy of
/// <see cref="PreprocessingOptions"/>. Every problem with the bytes becomes an <see cref="ImageRejectedException"/>
/// with a reason a person can act on. Thread-safe.
/// </summary>
public sealed unsafe class ImageDecoder
{
    // Loaders for formats people photograph in; anything else libvips recognises (and was not blocked as untrusted)
    // is refused before it parses more than the signature. FindLoadBuffer names the loader class.
    private static readonly HashSet<string> AllowedLoaders = new(StringComparer.Ordinal)
    {
        "VipsForeignLoadJpegBuffer",
        "VipsForeignLoadPngBuffer",
        "VipsForeignLoadSpngBuffer",
        "VipsForeignLoadWebpBuffer",
        "VipsForeignLoadNsgifBuffer",
        "VipsForeignLoadGifBuffer",
        "VipsForeignLoadTiffBuffer",
        "VipsForeignLoadHeifBuffer",
    };

    private readonly PreprocessingOptions _options;
    private readonly Enums.FailOn _failOn;
    private readonly string _thumbnailLoadOptions;

    public ImageDecoder(PreprocessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        LibvipsSetup.EnsureInitialized();
        _options = options;

        // Error fails truncated files and decoder errors (bad PNG CRC: PIL refuses those too) but lets libjpeg repair
        // corrupt scan data, as PIL does; Warning fails on anything libvips warns about.
        _failOn = options.StrictDecoding ? Enums.FailOn.Warning : Enums.FailOn.Error;

        // Measured with libvips 8.18.7: thumbnail's own fail_on argument does not reach the loader (a truncated JPEG
        // passes), the loader option string does.
        _thumbnailLoadOptions = options.StrictDecoding ? "fail_on=warning" : "fail_on=error";
    }

    /// <summary>
    /// Decodes the whole image to upright RGB (EXIF orientation applied when the options say so). The decoder is chosen
    /// from the bytes (<see cref="ImageFormatSniffer"/>): BMP, PNM, TGA and ICO's bitmap frames by
    /// <see cref="ManagedImageDecoder"/>, everything else by libvips.
    /// </summary>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded)
    {
        var kind = ImageFormatSniffer.Sniff(encoded, out var format);
        switch (kind)
        {
            case SniffedFormat.Unsupported:
                throw ImageRejectedException.Decode($"unsupported format: {format}");
            case SniffedFormat.Bmp or SniffedFormat.Pnm or SniffedFormat.Tga:
                return ManagedImageDecoder.Decode(encoded, kind, _options.MaxPixels);
            case SniffedFormat.Ico:
                var frame = ManagedImageDecoder.SelectIcoFrame(encoded, out var isPng);
                return isPng ? LibvipsErrors.Run(frame, DecodeWithLibvips) : ManagedImageDecoder.DecodeIcoBitmap(frame, _options.MaxPixels);
            default:
                return LibvipsErrors.Run(encoded, DecodeWithLibvips);
        }
    }

    /// <summary>Whether Fast mode's libvips thumbnail can read these bytes (other formats take the Exact path).</summary>
    public static bool DecodedByLibvips(ReadOnlySpan<byte> encoded) => ImageFormatSniffer.Sniff(encoded, out _) == SniffedFormat.Libvips;

    private DecodedImage DecodeWithLibvips(ReadOnlySpan<byte> encoded)
    {
        using var image = Open(encoded, out var loader);
        var orientation = _options.ApplyExifOrientation ? OrientationOf(image) : ExifOrientation.Upright;
        var transparent = loader is "VipsForeignLoadNsgifBuffer" or "VipsForeignLoadGifBuffer" ? GifTransparency.FirstFrameColour(encoded) : null;
        return ReadRgb(image, orientation, transparent);
    }

    /// <summary>
    /// Fast mode: libvips' thumbnail (shrink-on-load, then its own resampling) straight to torchvision's resized size,
    /// returning only the pixels of the center crop that lie inside the resized image (<see cref="TorchvisionGeometry.Visible"/>).
    /// </summary>
    public DecodedImage DecodeShrunk(ReadOnlySpan<byte> encoded, PreprocessSpec spec, out TorchvisionGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (ImageFormatSniffer.Sniff(encoded, out var format) == SniffedFormat.Unsupported)
        {
            throw ImageRejectedException.Decode($"unsupported format: {format}");
        }

        TorchvisionGeometry shrunk = default;
        var window = LibvipsErrors.Run(encoded, bytes => DecodeShrunkWithLibvips(bytes, spec, out shrunk));
        geometry = shrunk;
        return window;
    }

    private DecodedImage DecodeShrunkWithLibvips(ReadOnlySpan<byte> encoded, PreprocessSpec spec, out TorchvisionGeometry geometry)
    {
        int width, height;
        using (var header = Open(encoded, out _))
        {
            var orientation = _options.ApplyExifOrientation ? OrientationOf(header) : ExifOrientation.Upright;
            (width, height) = orientation.UprightSize(header.Width, header.Height);
        }

        geometry = TorchvisionGeometry.For(width, height, spec);
        var visible = geometry.Visible;
        try
        {
            using var thumbnail = VipsImage.ThumbnailBuffer(
                encoded.ToArray(),
                geometry.ResizedWidth,
                height: geometry.ResizedHeight,
                size: Enums.Size.Force,
                noRotate: !_options.ApplyExifOrientation,
                optionString: _thumbnailLoadOptions);
            using var window = thumbnail.ExtractArea(visible.Left, visible.Top, visible.Width, visible.Height);
            return ReadRgb(window, ExifOrientation.Upright, transparentColour: null);
        }
        catch (VipsException e)
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: {Describe(e)}", e);
        }
    }

    /// <summary>Checks size, format and header, and opens the image for one sequential read of its pixels.</summary>
    private VipsImage Open(ReadOnlySpan<byte> encoded, out string loader)
    {
        if (encoded.IsEmpty)
        {
            throw ImageRejectedException.Decode("empty file (0 bytes)");
        }

        loader = VipsImage.FindLoadBuffer(encoded);
        if (string.IsNullOrEmpty(loader))
        {
            // FindLoadBuffer leaves "buffer is not in a known format" in libvips' global error buffer, where it
            // would be read as part of the next failure's message; constructing a VipsException reads and clears it.
            _ = new VipsException(string.Empty);
            throw ImageRejectedException.Decode($"not an image: unrecognised format ({DescribeStart(encoded)})");
        }

        if (!AllowedLoaders.Contains(loader))
        {
            var format = loader.Replace("VipsForeignLoad", string.Empty, StringComparison.Ordinal).Replace("Buffer", string.Empty, StringComparison.Ordinal);
            throw ImageRejectedException.Decode($"unsupported format: {format.ToUpperInvariant()}");
        }

        VipsImage image;
        try
        {
            image = VipsImage.NewFromBuffer(encoded, access: Enums.Access.Sequential, failOn: _failOn);
        }
        catch (VipsException e)
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: {Describe(e)}", e);
        }

        try
        {
            CheckPixelCount(image.Width, image.Height, _options.MaxPixels);
        }
        catch
        {
            image.Dispose();
            throw;
        }

        return image;
    }

    /// <summary>Refuses an image whose header claims more than <paramref name="maxPixels"/>, before any pixel is decoded.</summary>
    internal static void CheckPixelCount(long width, long height, long maxPixels)
    {
        var pixels = width * height;
        if (pixels > maxPixels)
        {
            throw ImageRejectedException.Decode(
                $"image is {width}x{height} = {FormatPixels(pixels)}, over the {FormatPixels(maxPixels, adjective: true)} limit ({PreprocessingOptions.SectionName}:{nameof(PreprocessingOptions.MaxPixels)})");
        }
    }

    /// <summary>Reads all pixels (this is where truncation and corrupt data surface) and packs them as upright RGB.</summary>
    private static DecodedImage ReadRgb(VipsImage image, ExifOrientation orientation, int? transparentColour)
    {
        if (image.Coding != Enums.Coding.None)
        {
            // libvips' packed LabQ / Radiance codings: no loader we allow produces them from a photo.
            throw ImageRejectedException.Decode($"unsupported pixel coding ({image.Coding.ToString().ToLowerInvariant()})");
        }

        var layout = LayoutOf(image);
        var bands = image.Bands;
        var width = image.Width;
        var height = image.Height;

        byte* raw = null;
        try
        {
            using (var bytes = ToUchar(image))
            {
                raw = (byte*)bytes.WriteToMemory(out _);
            }

            if (layout == BandLayout.Rgb && bands == 3 && orientation.IsIdentity)
            {
                var direct = new DecodedImage(raw, width, height, ownedByLibvips: true);
                raw = null;
                return direct;
            }

            var (uprightWidth, uprightHeight) = orientation.UprightSize(width, height);
            var packed = DecodedImage.Allocate(uprightWidth, uprightHeight);
            PilRgbConversion.Pack(raw, width, height, bands, layout, orientation, packed.Pointer, transparentColour);

            return packed;
        }
        catch (VipsException e)
        {
            throw ImageRejectedException.Decode($"truncated or corrupt image data: {Describe(e)}", e);
        }
        finally
        {
            if (raw is not null)
            {
                global::NetVips.NetVips.Free((nint)raw);
            }
        }
    }

    /// <summary>
    /// 8 bits per band: 16-bit images keep their high byte (PIL does the same for 16-bit RGB/RGBA; docs/preprocessing.md
    /// explains where it differs for 16-bit greyscale); other formats are clamped to 0-255, as PIL's convert clips.
    /// </summary>
    private static VipsImage ToUchar(VipsImage image) => image.Format switch
    {
        Enums.BandFormat.Uchar => image.Copy(),
        Enums.BandFormat.Ushort => image.Cast(Enums.BandFormat.Uchar, shift: true),
        _ => image.Cast(Enums.BandFormat.Uchar),
    };

    private static BandLayout LayoutOf(VipsImage image) => image.Bands switch
    {
        1 or 2 => BandLayout.Grey,
        >= 4 when image.Interpretation == Enums.Interpretation.Cmyk => BandLayout.Cmyk,
        _ => BandLayout.Rgb,
    };

    private static ExifOrientation OrientationOf(VipsImage image)
    {
        if (!image.Contains("orientation"))
        {
            return ExifOrientation.Upright;
        }

        return image.Get("orientation") is int value ? new ExifOrientation(value) : ExifOrientation.Upright;
    }

    /// <summary>The useful line of a libvips error: the last one that names a cause, without the loader prefix.</summary>
    internal static string Describe(VipsException e)
    {
        var lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var cause = lines.LastOrDefault(line => !line.StartsWith("unable to", StringComparison.Ordinal)) ?? lines.FirstOrDefault() ?? "unknown libvips error";
        var colon = cause.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && !cause.AsSpan(0, colon).Contains(' ') ? cause[(colon + 2)..] : cause;
    }

    /// <summary>The first bytes, as text when they are text (an HTML error page, JSON) and as hex otherwise.</summary>
    internal static string DescribeStart(ReadOnlySpan<byte> encoded)
    {
        var head = encoded[..Math.Min(encoded.Length, 64)].TrimStart(" \t\r\n"u8);
        var printable = 0;
        while (printable < head.Length && printable < 16 && head[printable] is >= 0x20 and < 0x7f)
        {
            printable++;
        }

        if (printable >= 4 || (printable > 0 && printable == head.Length))
        {
            return $"starts with '{Encoding.ASCII.GetString(head[..printable])}'";
        }

        var bytes = encoded[..Math.Min(encoded.Length, 8)];
        return $"starts with bytes {string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))}";
    }

    /// <summary>"4.3 gigapixels", "12 megapixels", "640 pixels"; as an adjective ("a 100 megapixel limit") without the plural.</summary>
    internal static string FormatPixels(long pixels, bool adjective = false)
    {
        var plural = adjective ? string.Empty : "s";
        return pixels switch
        {
            >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{pixels / 1e9:0.#} gigapixel{plural}"),
            >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{pixels / 1e6:0.#} megapixel{plural}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{pixels} pixel{plural}"),
        };
    }
}
