namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>What a student trains on: the teacher's argmax (hard) or its distribution, re-sharpened by a temperature (soft).</summary>
public enum PseudoLabelMode
{
    Hard,
    Soft,
}
