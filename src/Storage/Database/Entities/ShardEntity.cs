using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>A unit of work: a few hundred images of one run, leased by one worker at a time.</summary>
public sealed class ShardEntity
{
    public Guid RunId { get; set; }
    public long ShardId { get; set; }
    public ShardStatus Status { get; set; }
    public string? WorkerId { get; set; }
    public int Attempts { get; set; }
    public required long[] ImageIds { get; set; }

    /// <summary>ImageIds.Length, kept as a column so progress can sum it in SQL on every provider.</summary>
    public int ImageCount { get; set; }

    public DateTime? LeasedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public int OkCount { get; set; }
    public int FailedCount { get; set; }

    /// <summary>When the shard was written: the sweeper re-publishes a Pending shard that nobody started within a lease.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>When its ProcessShard message was last published; null while a planner may have died before publishing.</summary>
    public DateTime? PublishedAt { get; set; }

    /// <summary>
    /// A shard of images re-queued by retry-failed. Its images were already counted by the shards they were planned
    /// in, so the run's image total leaves retry shards out.
    /// </summary>
    public bool IsRetry { get; set; }
}
