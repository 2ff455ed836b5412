namespace EfficientNet.Batch.Storage.Results;

/// <summary>One image of a run as exported: its key and either its top-k labels or its failure.</summary>
public sealed record ExportRow(
    string Key,
    bool Ok,
    int[] TopIndices,
    float[] TopProbabilities,
    string? FailureStage,
    string? FailureReason);
