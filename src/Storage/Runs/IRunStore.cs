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
}
