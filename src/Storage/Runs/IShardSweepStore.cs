namespace EfficientNet.Batch.Storage.Runs;

/// <summary>Job state as the scheduler service's sweeper sees it: shards whose lease expired, to re-publish.</summary>
public interface IShardSweepStore
{
    /// <summary>
    /// Shards of running runs whose lease expired: Running with leased_at older than <paramref name="lease"/> (a
    /// worker died or hung), or Pending, never published and created longer ago than that (the planner died between
    /// commit and publish). A published Pending shard is waiting in the queue and is never claimed. Each returned
    /// shard's lease and publish time are restarted now, atomically, so concurrent sweepers do not both re-publish it.
    /// Items carry image ids and keys.
    /// </summary>
    Task<IReadOnlyList<ExpiredShard>> ClaimExpiredShardsAsync(TimeSpan lease, int limit, CancellationToken cancellationToken);
}
