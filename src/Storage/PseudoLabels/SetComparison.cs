namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// How two sets (two teachers, or two generations) label the images they share: overall and per class (by the first
/// set's label), how many labels changed, and how many images only one of them holds.
/// </summary>
public sealed record SetComparison(
    string First,
    string Second,
    long OnlyInFirst,
    long OnlyInSecond,
    long InBoth,
    long Agreeing,
    IReadOnlyList<ClassAgreement> PerClass)
{
    public long Changed => InBoth - Agreeing;

    /// <summary>The share of shared images with the same label; null when they share none.</summary>
    public double? Agreement => InBoth == 0 ? null : (double)Agreeing / InBoth;
}

/// <summary>Agreement on the images the first set gave one class.</summary>
public sealed record ClassAgreement(int ClassIndex, long InBoth, long Agreeing)
{
    public long Changed => InBoth - Agreeing;

    public double Agreement => InBoth == 0 ? 0 : (double)Agreeing / InBoth;
}
