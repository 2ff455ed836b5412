namespace EfficientNet.Batch.Storage.Runs;

/// <summary>A run's counts, read from the database (the source of truth in both modes).</summary>
public sealed record RunProgress(
    Guid RunId,
    RunStatus Status,
    long TotalImages,
    long Succeeded,
    long Failed,
    int TotalShards,
    int CompletedShards,
    IReadOnlyList<FailureCount> FailuresByReason)
{
    public long Done => Succeeded + Failed;
    public bool AllShardsDone => TotalShards > 0 && CompletedShards >= TotalShards;
}

public sealed record FailureCount(string Stage, string Reason, long Count);
