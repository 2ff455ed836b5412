namespace EfficientNet.Batch.Storage.Runs;

/// <summary>Job state as the scheduler's run lifecycle (src/Scheduler/Runs/) writes it: models, runs, shards, and the run's status (with the reads it needs). Every method is one short transaction.</summary>
public interface IRunPlanStore : IRunQueries
{
    /// <summary>Finds the model row with this SHA-256 or inserts it; returns its id.</summary>
    Task<long> EnsureModelAsync(string name, string uri, string sha256, string specJson, IReadOnlyList<string>? labels, CancellationToken cancellationToken);

    /// <summary>Inserts a run in status Planning.</summary>
    Task<RunInfo> CreateRunAsync(NewRun run, CancellationToken cancellationToken);

    /// <summary>
    /// Upserts the images (unique on source + key) and creates one shard holding them, in one transaction.
    /// Called once per shard-sized chunk of keys as the source is streamed.
    /// </summary>
    Task<PlannedShard> AddShardAsync(Guid runId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>For incremental runs: the keys of <paramref name="keys"/> that have no prediction yet from any run of this model.</summary>
    Task<IReadOnlyList<string>> FilterUnlabeledAsync(long modelId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Records that these shards' messages were published (after the broker accepted them).</summary>
    Task MarkPublishedAsync(Guid runId, IReadOnlyList<long> shardIds, CancellationToken cancellationToken);

    /// <summary>Records that the run's shard set is final (every shard was written). Until then a run with all its shards done is not complete.</summary>
    Task CompletePlanningAsync(Guid runId, CancellationToken cancellationToken);

    Task SetRunStatusAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a run, in one transaction: sets its final status (Completed, Failed or Cancelled) with the reason and, unless
    /// it completed, marks every shard that is not completed as skipped, so no worker starts or keeps working on it.
    /// </summary>
    Task EndRunAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// For retry-failed: in one transaction, removes the run's failure rows (images without a prediction), puts those
    /// images into new Pending shards of at most <paramref name="shardSize"/>, and sets the run Running again.
    /// Returns the new shards to publish (none when nothing failed).
    /// </summary>
    Task<IReadOnlyList<PlannedShard>> RequeueFailedImagesAsync(Guid runId, int shardSize, CancellationToken cancellationToken);

    /// <summary>
    /// For resume: up to <paramref name="limit"/> of the run's shards that never completed (Pending or Running), with
    /// their items, in shard order after <paramref name="afterShardId"/> (page through them with the last id returned).
    /// </summary>
    Task<IReadOnlyList<PlannedShard>> ListUnfinishedShardsAsync(Guid runId, long afterShardId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// For resume: the key of the last image planning wrote (the last item of the run's newest planned shard, retry
    /// shards left out); sources list keys in a deterministic order, so planning can go on after it. Null when no
    /// shard was written.
    /// </summary>
    Task<string?> FindLastPlannedKeyAsync(Guid runId, CancellationToken cancellationToken);
}
