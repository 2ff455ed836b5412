namespace EfficientNet.Batch.Storage.Runs;

/// <summary>Job state as a worker sees it: it claims a shard, then renews its lease while it works.</summary>
public interface IShardLeaseStore
{
    /// <summary>
    /// Claims a shard for a worker. Returns false when the shard is already completed or skipped (a redelivery),
    /// or when its run is no longer running; the caller then acks without work.
    /// </summary>
    Task<bool> TryStartShardAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken);

    /// <summary>
    /// Extends a running shard's lease (workers call this periodically while they process it), so the sweeper does
    /// not re-publish a shard that is slow but alive. When the shard is no longer this worker's Running shard, tells in
    /// the same call whether its run has ended (the worker stops) or the shard went to another worker (it goes on).
    /// </summary>
    Task<LeaseRenewal> RenewShardLeaseAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken);
}
