namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// Where one class's threshold scan stopped: the bucket (hundredths) and how many images of the class are at or above
/// it (total_c). Each of them is then written target/total_c times, stochastically rounded.
/// </summary>
public sealed record ClassSelection(int ClassIndex, int ThresholdBucket, long Candidates);
