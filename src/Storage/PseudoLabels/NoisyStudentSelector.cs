namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// The data-balancing rule of Noisy Student (Xie et al. 2020, section 3 and google-research/noisystudent
/// label_data.py): per class, the confidence threshold goes down from 1.00 in steps of 0.01 until the class has at
/// least its target count of images at or above it, but never below the floor; then each of those images is written
/// target/total_c times with stochastic rounding (floor, plus one with probability of the fraction), which duplicates
/// under-full classes and samples over-full ones down. The databases run the same rule in SQL (PseudoLabelStore);
/// this class decides thresholds from per-bucket counts and is the reference the tests hold the SQL to.
/// </summary>
public static class NoisyStudentSelector
{
    /// <summary>
    /// The threshold of one class from its image counts per confidence bucket (index 0..100). Null when no image of the
    /// class reaches the floor.
    /// </summary>
    public static ClassSelection? Threshold(int classIndex, ReadOnlySpan<long> countsPerBucket, long target, int floorBucket)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(target, 0);
        ArgumentOutOfRangeException.ThrowIfNegative(floorBucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(floorBucket, ConfidenceBuckets.Top);
        if (countsPerBucket.Length != ConfidenceBuckets.Top + 1)
        {
            throw new ArgumentException($"expected {ConfidenceBuckets.Top + 1} bucket counts, got {countsPerBucket.Length}", nameof(countsPerBucket));
        }

        var cumulative = 0L;
        for (var bucket = ConfidenceBuckets.Top; bucket >= floorBucket; bucket--)
        {
            cumulative += countsPerBucket[bucket];
            if (cumulative >= target)
            {
                return new ClassSelection(classIndex, bucket, cumulative);
            }
        }

        return cumulative == 0 ? null : new ClassSelection(classIndex, floorBucket, cumulative);
    }

    /// <summary>How many times one selected image is written: target/candidates, stochastically rounded by its hash.</summary>
    public static int Copies(long imageId, long seed, long target, long candidates)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(candidates, 0);
        var whole = target / candidates;
        var remainder = target % candidates;

        // u < remainder/candidates, in integers (u = hash / Modulus), as the SQL does it: exact on every provider.
        var extra = SelectionHash.Of(imageId, seed) * candidates < remainder * SelectionHash.Modulus ? 1 : 0;
        return checked((int)(whole + extra));
    }
}
