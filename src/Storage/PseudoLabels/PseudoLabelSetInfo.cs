namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>A pseudo-label set with its lineage and totals, as listed by <c>pseudo-label sets</c> (and a JSON API).</summary>
public sealed record PseudoLabelSetInfo(
    long Id,
    string Name,
    Guid TeacherRunId,
    string TeacherRunName,
    long TeacherModelId,
    string TeacherModelName,
    string TeacherModelSha256,
    long? ParentSetId,
    string? ParentSetName,
    int Generation,
    PseudoLabelMode Mode,
    double Temperature,
    long PerClassTarget,
    double MinConfidence,
    long Seed,
    long UniqueImages,
    long TotalSamples,
    DateTimeOffset CreatedAt,
    string? ExcludeNearRun = null,
    double? ExcludeSimilarity = null,
    long ExcludedNear = 0,
    double? DedupSimilarity = null,
    long DedupRemoved = 0);
