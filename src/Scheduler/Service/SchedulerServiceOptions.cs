using System.ComponentModel.DataAnnotations;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>The scheduler service's loops. Section "Scheduler".</summary>
public sealed class SchedulerServiceOptions
{
    public const string SectionName = "Scheduler";

    /// <summary>
    /// A shard whose lease is older than this is re-published (its worker died or hung). Workers renew leases every
    /// Pipeline:LeaseRenewalSeconds (5 s), so this must be several times that; a live shard is never taken away.
    /// </summary>
    [Range(10, 86_400)]
    public int ShardLeaseSeconds { get; set; } = 180;

    [Range(1, 3600)]
    public int SweepIntervalSeconds { get; set; } = 15;

    [Range(1, 3600)]
    public int CompletionIntervalSeconds { get; set; } = 2;

    /// <summary>Shards re-published per sweep at most (bounds a burst after a large worker outage).</summary>
    [Range(1, 100_000)]
    public int MaxRepublishPerSweep { get; set; } = 500;
}
