namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// Teacher-run images a selection leaves out, decided from embeddings before the selection runs: near-copies of a
/// reference run's images (<c>--exclude-near run:NAME --similarity S</c>) and all but one image of each
/// near-duplicate group (<c>--dedup S</c>). The set records the parameters and both counts.
/// </summary>
public sealed record SelectionExclusions(
    string? ExcludeNearRun,
    double? ExcludeSimilarity,
    IReadOnlyCollection<long> NearIds,
    double? DedupSimilarity,
    IReadOnlyCollection<long> DuplicateIds)
{
    public static SelectionExclusions None { get; } = new(null, null, [], null, []);

    /// <summary>Every image left out (an image both near the reference and a duplicate counts once, as near).</summary>
    public IEnumerable<long> All => NearIds.Union(DuplicateIds);

    /// <summary>Images left out by --dedup that --exclude-near had not already removed.</summary>
    public long DedupRemoved => DuplicateIds.Except(NearIds).LongCount();
}
