namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>The top-k labels (probabilities descending) and optional embedding of one image in one run.</summary>
public sealed class PredictionEntity
{
    public Guid RunId { get; set; }
    public long ImageId { get; set; }
    public required int[] TopIndices { get; set; }
    public required float[] TopProbabilities { get; set; }

    /// <summary>
    /// The pooled embedding, stored as IEEE float16 bytes (2 per dimension: 2,560 bytes at 1280-d) on both providers
    /// and converted back to float32 here (<see cref="Conversions.Float16BlobConverter"/>).
    /// </summary>
    public float[]? Embedding { get; set; }

    /// <summary>
    /// The whole class distribution as IEEE float16, little-endian (2 bytes per class: 2 KB at 1000 classes), kept
    /// only by teacher runs asked for it (teach --full): exact soft labels and temperature need every class.
    /// </summary>
    public byte[]? FullProbabilities { get; set; }
    public DateTime CreatedAt { get; set; }
}
