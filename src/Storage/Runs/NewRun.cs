namespace EfficientNet.Batch.Storage.Runs;

/// <summary>What the scheduler knows when it starts planning a run.</summary>
public sealed record NewRun(
    string Name,
    string Kind,
    long ModelId,
    string Source,
    int TopK,
    bool StoreEmbeddings,
    double ErrorBudget,
    int ShardSize,
    bool StoreFullDistribution = false,
    long? SourceSetId = null,
    Guid? PassId = null,
    RunEnsemble? Ensemble = null);
