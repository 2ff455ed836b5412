namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// One image of a run as exported: its key and either its top-k labels or its failure, and its embedding when asked
/// for and stored: the stored bytes themselves, IEEE binary16 little-endian, 2 per dimension (see
/// <see cref="Database.Conversions.Float16Blob"/>; null for a failure). Handing over the bytes as read spares an
/// export a second 2.5 KB array per row (a 1280-d embedding) and its copy.
/// </summary>
public sealed record ExportRow(
    string Key,
    bool Ok,
    int[] TopIndices,
    float[] TopProbabilities,
    string? FailureStage,
    string? FailureReason,
    byte[]? Float16Embedding = null);
