namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// One exported row of a pseudo-label set: an image (its URI and key), its hard label, the teacher's confidence, how
/// many times it is a training sample (or 1 per row with one row per copy), and in soft mode the re-sharpened soft
/// labels. Mutable with a parameterless constructor so that tests read a Parquet export back into it with Parquet.Net's
/// deserializer, which sets properties by reflection.
/// </summary>
public sealed class PseudoLabelSample
{
    public string Uri { get; set; } = "";
    public string Key { get; set; } = "";
    public int Label { get; set; }
    public string LabelName { get; set; } = "";
    public float Confidence { get; set; }
    public int Copies { get; set; }

    /// <summary>Class indices of the soft labels (every class with --full, else the teacher's top-k); empty in hard mode.</summary>
    public int[] SoftIndices { get; set; } = [];

    /// <summary>The soft label of each of <see cref="SoftIndices"/>, summing to 1.</summary>
    public float[] SoftProbabilities { get; set; } = [];
}
