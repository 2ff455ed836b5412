namespace EfficientNet.Batch.Storage.Runs;

/// <summary>Job state: models, runs, images and shards. Every method is one short transaction.</summary>
public interface IRunStore
{
    /// <summary>Creates the schema or applies pending migrations.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Finds the model row with this SHA-256 or inserts it; returns its id.</summary>
    Task<long> EnsureModelAsync(string name, string uri, string sha256, string specJson, IReadOnlyList<string>? labels, CancellationToken cancellationToken);

    /// <summary>The model row, with its class names; null when no model has this id.</summary>
    Task<ModelInfo?> GetModelAsync(long modelId, CancellationToken cancellationToken);

    /// <summary>Inserts a run in status Planning.</summary>
    Task<RunInfo> CreateRunAsync(NewRun run, CancellationToken cancellationToken);

    /// <summary>
    /// Upserts the images (unique on source + key) and creates one shard holding them, in one transaction.
    /// Called once per shard-sized chunk of keys as the source is streamed.
    /// </summary>
    Task<PlannedShard> AddShardAsync(Guid runId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    Task SetRunStatusAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a run, in one transaction: sets its final status (Completed, Failed or Cancelled) with the reason and, unless
    /// it completed, marks every shard that is not completed as skipped, so no worker starts or keeps working on it.
    /// </summary>
    Task EndRunAsync(Guid runId, RunStatus status, string? reason, CancellationToken cancellationToken);

    /// <summary>
    /// Claims a shard for a worker. Returns false when the shard is already completed or skipped (a redelivery),
    /// or when its run is no longer running; the caller then acks without work.
    /// </summary>
    Task<bool> TryStartShardAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken);

    Task<RunProgress> GetProgressAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>Marks every shard of the run that is not completed as skipped.</summary>
    Task SkipRemainingShardsAsync(Guid runId, CancellationToken cancellationToken);

    Task<IReadOnlyList<RunInfo>> ListRunsAsync(CancellationToken cancellationToken);

    /// <summary>Resolves a run by its id, its name (the newest with that name) or "latest". Null when none matches.</summary>
    Task<RunInfo?> FindRunAsync(string idOrName, CancellationToken cancellationToken);

    /// <summary>Records that the run's shard set is final (every shard was written). Until then a run with all its shards done is not complete.</summary>
    Task CompletePlanningAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>
    /// Extends a running shard's lease (workers call this periodically while they process it), so the sweeper does
    /// not re-publish a shard that is slow but alive. Returns false when the shard is no longer Running for this worker's run.
    /// </summary>
    Task<bool> RenewLeaseAsync(Guid runId, long shardId, string workerId, CancellationToken cancellationToken);

    /// <summary>
    /// Shards of running runs whose lease expired: Running with leased_at older than <paramref name="lease"/> (a
    /// worker died or hung), or Pending, never published and created longer ago than that (the planner died between
    /// commit and publish). A published Pending shard is waiting in the queue and is never claimed. Each returned
    /// shard's lease and publish time are restarted now, atomically, so concurrent sweepers do not both re-publish it.
    /// Items carry image ids and keys.
    /// </summary>
    Task<IReadOnlyList<ExpiredShard>> ClaimExpiredShardsAsync(TimeSpan lease, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// For retry-failed: in one transaction, removes the run's failure rows (images without a prediction), puts those
    /// images into new Pending shards of at most <paramref name="shardSize"/>, and sets the run Running again.
    /// Returns the new shards to publish (none when nothing failed).
    /// </summary>
    Task<IReadOnlyList<PlannedShard>> RequeueFailedImagesAsync(Guid runId, int shardSize, CancellationToken cancellationToken);

    /// <summary>For incremental runs: the keys of <paramref name="keys"/> that have no prediction yet from any run of this model.</summary>
    Task<IReadOnlyList<string>> FilterUnlabeledAsync(long modelId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Records that these shards' messages were published (after the broker accepted them).</summary>
    Task MarkPublishedAsync(Guid runId, IReadOnlyList<long> shardIds, CancellationToken cancellationToken);

    /// <summary>Runs in status Running (the scheduler service completes them).</summary>
    Task<IReadOnlyList<RunInfo>> ListActiveRunsAsync(CancellationToken cancellationToken);
}
