namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>What planning wrote: images and shards, and images left out because this model already labeled them (--only-new).</summary>
public sealed record PlanSummary(long Images, int Shards, long SkippedAlreadyLabeled = 0);
