namespace EfficientNet.Batch.Storage.Insights;

/// <summary>
/// What the dashboard shows about one run beyond its counts, each aggregated by the database (never by loading a
/// run's rows): throughput over time, per-worker rates, shard states, failure reasons with example keys, and the
/// distribution of the predictions (top-1 confidence, top classes).
/// </summary>
public sealed record RunInsights(
    Guid RunId,
    IReadOnlyList<ShardStateCount> ShardStates,
    int ThroughputBucketSeconds,
    IReadOnlyList<ThroughputPoint> Throughput,
    IReadOnlyList<WorkerActivity> Workers,
    IReadOnlyList<FailureGroup> Failures,
    IReadOnlyList<long> ConfidenceHistogram,
    IReadOnlyList<ClassCount> TopClasses)
{
    /// <summary>Bins of the top-1 probability histogram: [0, 0.05), [0.05, 0.10), ..., [0.95, 1.0].</summary>
    public const int ConfidenceBins = 20;
}

/// <summary>Shards of the run in one status, and how many images they hold.</summary>
public sealed record ShardStateCount(string Status, int Shards, long Images);

/// <summary>Images of shards completed in the bucket that starts at <paramref name="Start"/>.</summary>
public sealed record ThroughputPoint(DateTimeOffset Start, long Images);

/// <summary>
/// One worker's share of the run. <see cref="ImagesPerSecond"/> is its completed images over the span from its first
/// lease to its last completion, so a worker that joined late is not penalised for the time before it started.
/// </summary>
public sealed record WorkerActivity(
    string WorkerId, int CompletedShards, int RunningShards, long Images, DateTimeOffset? FirstLeasedAt, DateTimeOffset? LastCompletedAt)
{
    public double ImagesPerSecond =>
        FirstLeasedAt is { } first && LastCompletedAt is { } last && last > first ? Images / (last - first).TotalSeconds : 0;
}

/// <summary>Images that failed for one reason, with a few of their keys to look at.</summary>
public sealed record FailureGroup(string Stage, string Reason, long Count, IReadOnlyList<string> ExampleKeys);

/// <summary>How many images have this class as their top-1 label; <see cref="Label"/> from the model's labels file when it has one.</summary>
public sealed record ClassCount(int Index, string? Label, long Count);
