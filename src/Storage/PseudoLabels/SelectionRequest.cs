namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>What <c>pseudo-label select</c> asks for: the teacher run, the balancing parameters, the seed and the lineage.</summary>
/// <param name="PerClassTarget">Samples wanted per class (130000 in the paper's ImageNet setting).</param>
/// <param name="MinConfidence">The floor the threshold scan never goes below (0.3 in the paper).</param>
/// <param name="ParentSetId">The set this generation descends from; its generation + 1 is this one's, else 1.</param>
public sealed record SelectionRequest(
    Guid TeacherRunId,
    string Name,
    long PerClassTarget,
    double MinConfidence,
    PseudoLabelMode Mode,
    double Temperature,
    long Seed,
    long? ParentSetId)
{
    /// <summary>Images of the teacher run left out before selection (near-copies of a reference run, near-duplicates), with what asked for it.</summary>
    public SelectionExclusions Exclusions { get; init; } = SelectionExclusions.None;
}
