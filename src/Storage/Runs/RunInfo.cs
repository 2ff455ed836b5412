namespace EfficientNet.Batch.Storage.Runs;

public sealed record RunInfo(
    Guid Id,
    string Name,
    string Kind,
    long ModelId,
    string ModelName,
    string Source,
    RunStatus Status,
    int TopK,
    bool StoreEmbeddings,
    double ErrorBudget,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    string? StatusReason,
    int ShardSize = 256,
    bool StoreFullDistribution = false,
    long? SourceSetId = null,
    Guid? PassId = null,
    RunEnsemble? Ensemble = null);
