namespace EfficientNet.Batch.Storage.Insights;

/// <summary>Aggregates a run's shards, failures and predictions for the dashboard, in SQL on both providers.</summary>
public interface IRunInsightsReader
{
    /// <summary>
    /// The run's insights; <paramref name="classNames"/> names the top classes (null or short: indices only).
    /// A run without shards or results yields empty lists, never an error.
    /// </summary>
    Task<RunInsights> ReadAsync(Guid runId, IReadOnlyList<string>? classNames, CancellationToken cancellationToken);

    /// <summary>Only the per-worker rates: one cheap grouped query over the run's shards (the CLI polls it).</summary>
    Task<IReadOnlyList<WorkerActivity>> ReadWorkersAsync(Guid runId, CancellationToken cancellationToken);
}
