using System.ComponentModel.DataAnnotations;

namespace EfficientNet.Batch.Storage.Locations;

/// <summary>
/// Limits and tuning of image sources and stores, whatever their kind. Section "ImageStores". The blob account
/// itself is <c>ConnectionStrings:Blob</c> (see BlobAccount).
/// </summary>
public sealed class ImageStoreOptions
{
    public const string SectionName = "ImageStores";

    /// <summary>
    /// Images larger than this fail at the fetch stage without being read (files: their length; blobs: Content-Length).
    /// Set by AddImageStores from the host's Pipeline:MaxImageBytes, not read from this section.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxImageBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Blobs asked for per listing page (the service returns at most 5,000). One page is in memory at a time.</summary>
    [Range(1, 5000)]
    public int ListPageSize { get; set; } = 5000;

    /// <summary>
    /// Whether a manifest may name local files outside its own folder (absolute paths, file:// URIs, "../").
    /// Off by default: a manifest handed to a worker cannot make it read arbitrary files.
    /// </summary>
    public bool AllowManifestPathsOutsideFolder { get; set; }

    /// <summary>Retries of one blob request after the first try (exponential back-off).</summary>
    [Range(0, 20)]
    public int BlobMaxRetries { get; set; } = 5;

    /// <summary>First back-off delay of blob retries; it doubles per retry up to <see cref="BlobMaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan BlobRetryDelay { get; set; } = TimeSpan.FromSeconds(0.5);

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan BlobMaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for one blob request (each try) before it is abandoned and retried.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan BlobNetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);
}
