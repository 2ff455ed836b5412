namespace EfficientNet.Batch.Models;

/// <summary>The model's outputs: class scores (logits, or probabilities when <see cref="IsProbabilities"/>) and an optional pooled embedding.</summary>
public sealed record ModelOutputSpec
{
    public string Logits { get; init; } = "logits";
    public string? Embedding { get; init; } = "embedding";
    public bool IsProbabilities { get; init; }
}
