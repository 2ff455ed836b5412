using System.ComponentModel.DataAnnotations;

namespace EfficientNet.Batch.Storage.Models;

/// <summary>Where a worker keeps the models it downloads (az:// model URIs). Section "Worker".</summary>
public sealed class ModelCacheOptions
{
    public const string SectionName = "Worker";

    /// <summary>One folder per model SHA-256 below this; shared safely by the worker processes of a node.</summary>
    [Required]
    public string ModelCacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "efficientnet-batch", "models");
}
