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
    IReadOnlyList<FailureCount> FailuresByReason,
    bool PlanningCompleted = false,
    int SkippedShards = 0)
{
    public long Done => Succeeded + Failed;

    /// <summary>
    /// Every shard is completed or skipped. Skipped shards (of a run that was cancelled or went over its error budget)
    /// are not resumed by retry-failed, which re-processes failed images only, so they count as done.
    /// </summary>
    public bool AllShardsDone => TotalShards > 0 && CompletedShards + SkippedShards >= TotalShards;
}

public sealed record FailureCount(string Stage, string Reason, long Count);
