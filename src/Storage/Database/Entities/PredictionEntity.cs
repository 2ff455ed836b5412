namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>The top-k labels (probabilities descending) and optional embedding of one image in one run.</summary>
public sealed class PredictionEntity
{
    public Guid RunId { get; set; }
    public long ImageId { get; set; }
    public required int[] TopIndices { get; set; }
    public required float[] TopProbabilities { get; set; }
    public float[]? Embedding { get; set; }
    public DateTime CreatedAt { get; set; }
}
