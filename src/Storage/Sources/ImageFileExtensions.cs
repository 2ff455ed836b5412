using System.Collections.Frozen;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>
/// The file extensions a source lists as images: those the worker's libvips (NetVips.Native.linux-x64 8.18.7) can
/// load. Measured on that build: jpeg, png, webp, gif, tiff and heif (HEIC/AVIF) loaders are present; jp2k, jxl,
/// ppm, radiance, fits, openexr and magick (BMP, ICO, ...) are not, and svgload is refused once
/// NetVips.BlockUntrusted is set. A file listed here that still fails to decode becomes a failures row.
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
        ".heic", ".heif", ".avif");

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> SupportedSpans =
        Supported.GetAlternateLookup<ReadOnlySpan<char>>();

    public static IReadOnlyCollection<string> All => Supported;

    /// <summary>Whether a file name ends in a supported extension (case-insensitive).</summary>
    public static bool IsImage(ReadOnlySpan<char> fileName) => SupportedSpans.Contains(Path.GetExtension(fileName));
}
