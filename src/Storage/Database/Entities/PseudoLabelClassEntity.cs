namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>
/// How one class of a pseudo-label set was selected: the threshold the scan stopped at (in hundredths), how many
/// images reached it, and how many samples they became after duplication or sampling down.
/// </summary>
public sealed class PseudoLabelClassEntity
{
    public long SetId { get; set; }
    public int ClassIndex { get; set; }

    /// <summary>The threshold in hundredths (95 = 0.95): images whose confidence is at least this were candidates.</summary>
    public int ThresholdBucket { get; set; }

    /// <summary>Images of the class at or above the threshold (total_c in the paper).</summary>
    public long Candidates { get; set; }

    /// <summary>Images written at least once.</summary>
    public long Selected { get; set; }

    /// <summary>Samples written: the sum of copies (close to the target by stochastic rounding).</summary>
    public long Samples { get; set; }
}
