namespace EfficientNet.Batch.Storage.Runs;

/// <summary>
/// Job state: models, runs, images and shards, for all four of its audiences (<see cref="IRunPlanStore"/>,
/// <see cref="IShardLeaseStore"/>, <see cref="IShardSweepStore"/>, <see cref="IRunQueries"/>); classes ask for the one
/// they are. Every method is one short transaction.
/// </summary>
public interface IRunStore : IRunPlanStore, IShardLeaseStore, IShardSweepStore, IRunQueries
{
    /// <summary>Creates the schema or applies pending migrations.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Marks every shard of the run that is not completed as skipped.</summary>
    Task SkipRemainingShardsAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>True when the shard's lease was renewed (<see cref="IShardLeaseStore.RenewShardLeaseAsync"/> without the reason).</summary>
    Task<bool> RenewLeaseAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken);
}
