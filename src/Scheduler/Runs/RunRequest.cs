namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>What a user asks for when starting a run.</summary>
public sealed record RunRequest(
    string Name,
    string Kind,
    string ModelPath,
    string SourceLocation,
    int TopK,
    bool StoreEmbeddings,
    double ErrorBudget,
    int ShardSize,
    bool StoreFullDistribution = false,
    long? SourceSetId = null);
