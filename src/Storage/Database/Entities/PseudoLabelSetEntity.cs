namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>
/// One generation of Noisy-Student pseudo-labels: which teacher (model and run) produced them, with which selection
/// parameters and seed, and which set it descends from. Enough to reproduce or audit the set.
/// </summary>
public sealed class PseudoLabelSetEntity
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public Guid TeacherRunId { get; set; }
    public long TeacherModelId { get; set; }
    public required string TeacherModelName { get; set; }
    public required string TeacherModelSha256 { get; set; }
    public long? ParentSetId { get; set; }
    public int Generation { get; set; }
    public required string Mode { get; set; }
    public double Temperature { get; set; }
    public long PerClassTarget { get; set; }
    public double MinConfidence { get; set; }
    public long Seed { get; set; }

    /// <summary>Distinct images in the set (rows of pseudo_labels).</summary>
    public long UniqueImages { get; set; }

    /// <summary>Training samples: the sum of copies.</summary>
    public long TotalSamples { get; set; }

    /// <summary>The reference run (e.g. the evaluation set) whose near-copies were left out (select --exclude-near run:NAME); null when none.</summary>
    public string? ExcludeNearRun { get; set; }

    /// <summary>The cosine similarity at or above which a teacher image counted as a near-copy of the reference run.</summary>
    public double? ExcludeSimilarity { get; set; }

    /// <summary>Teacher-run images left out as near-copies of the reference run.</summary>
    public long ExcludedNear { get; set; }

    /// <summary>The similarity of select --dedup: one image kept per near-duplicate group; null when not asked.</summary>
    public double? DedupSimilarity { get; set; }

    /// <summary>Teacher-run images left out by --dedup (every member of a group but the one kept).</summary>
    public long DedupRemoved { get; set; }

    public DateTime CreatedAt { get; set; }
}
