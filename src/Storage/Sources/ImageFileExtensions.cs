using System.Collections.Frozen;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>
/// The file extensions a source lists as images: those the worker decodes (libvips: JPEG, PNG, WebP, GIF, TIFF,
/// HEIF/AVIF; ImageSharp: BMP, PBM/PGM/PPM, TGA, ICO; the decoder is chosen from the bytes, not the extension), and
/// JPEG 2000, JPEG XL and SVG, which PIL or users have but no decoder here reads: listed so that they become failure
/// rows ("unsupported format: ..."), never a silent skip (docs/preprocessing.md). A listed file that fails to decode
/// becomes a failures row.
/// </summary>
public static class ImageFileExtensions
{
    private static readonly FrozenSet<string> Supported = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        ".jpg", ".jpeg", ".jpe", ".jfif",
        ".png",
        ".gif",
        ".webp",
        ".tif", ".tiff",
        ".heic", ".heif", ".avif",
        ".bmp", ".dib",
        ".pbm", ".pgm", ".ppm", ".pnm",
        ".tga",
        ".ico",
        ".jp2", ".j2k", ".jpf", ".jpx", ".jxl", ".svg");

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> SupportedSpans =
        Supported.GetAlternateLookup<ReadOnlySpan<char>>();

    public static IReadOnlyCollection<string> All => Supported;

    /// <summary>Whether a file name ends in a supported extension (case-insensitive).</summary>
    public static bool IsImage(ReadOnlySpan<char> fileName) => SupportedSpans.Contains(Path.GetExtension(fileName));
}
