namespace EfficientNet.Batch.Storage.Runs;

/// <summary>Read-only job state: runs, their progress and models (commands, the dashboard, the run monitor).</summary>
public interface IRunQueries
{
    /// <summary>The model row, with its class names; null when no model has this id.</summary>
    Task<ModelInfo?> GetModelAsync(long modelId, CancellationToken cancellationToken);

    Task<RunProgress> GetProgressAsync(Guid runId, CancellationToken cancellationToken);

    Task<IReadOnlyList<RunInfo>> ListRunsAsync(CancellationToken cancellationToken);

    /// <summary>The runs of one multi-model pass, in the order they were created.</summary>
    Task<IReadOnlyList<RunInfo>> ListPassRunsAsync(Guid passId, CancellationToken cancellationToken);

    /// <summary>Resolves a run by its id, its name (the newest with that name) or "latest". Null when none matches.</summary>
    Task<RunInfo?> FindRunAsync(string idOrName, CancellationToken cancellationToken);

    /// <summary>Runs in status Running (the scheduler service completes them).</summary>
    Task<IReadOnlyList<RunInfo>> ListActiveRunsAsync(CancellationToken cancellationToken);
}
