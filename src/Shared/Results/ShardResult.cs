namespace EfficientNet.Batch.Results;

/// <summary>Everything a worker learned from one shard; written in one transaction together with the shard's status.</summary>
public sealed record ShardResult(
    Guid RunId,
    long ShardId,
    IReadOnlyList<ImagePrediction> Predictions,
    IReadOnlyList<ImageFailure> Failures,
    string WorkerId);
