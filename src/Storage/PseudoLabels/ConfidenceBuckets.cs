namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// Confidences in hundredths, the steps of the threshold scan. An image is in bucket floor(p * 100), computed in
/// double precision from the stored float32 (both databases do the same IEEE arithmetic: see the dialects), so "p is
/// at least threshold b/100" is exactly "bucket >= b". A float32 0.95 is 0.949999988..., bucket 94.
/// </summary>
public static class ConfidenceBuckets
{
    public const int Top = 100;

    public static int Of(float confidence) => Math.Clamp((int)Math.Floor((double)confidence * 100), 0, Top);

    /// <summary>The lowest bucket the scan may reach: the floor in hundredths, rounded up (0.3 → 30, 0.305 → 31).</summary>
    public static int FloorOf(double minConfidence)
    {
        if (double.IsNaN(minConfidence) || minConfidence is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(minConfidence), minConfidence, "the confidence floor must be between 0 and 1");
        }

        // The epsilon keeps 0.3 (0.299999... * 100 = 29.999...) at 30 rather than 30 becoming 31 from 30.000000000000004.
        return (int)Math.Ceiling(Math.Round(minConfidence * 100, 9));
    }

    public static double ToConfidence(int bucket) => bucket / 100.0;
}
