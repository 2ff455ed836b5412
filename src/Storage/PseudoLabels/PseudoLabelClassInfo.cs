namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>One class of a set: where its threshold stopped, how many images reached it, how many were kept and as how many samples.</summary>
public sealed record PseudoLabelClassInfo(int ClassIndex, int ThresholdBucket, long Candidates, long Selected, long Samples)
{
    public double Threshold => ConfidenceBuckets.ToConfidence(ThresholdBucket);
}
