namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// One image of a run as exported: its key and either its top-k labels or its failure, and its embedding when asked
/// for and stored (the stored float16 values, see <see cref="Database.Conversions.Float16Blob"/>; null for a failure).
/// </summary>
public sealed record ExportRow(
    string Key,
    bool Ok,
    int[] TopIndices,
    float[] TopProbabilities,
    string? FailureStage,
    string? FailureReason,
    Half[]? Embedding = null);
