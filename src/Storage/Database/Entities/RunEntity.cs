using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Storage.Database.Entities;

/// <summary>One pass of a model over a source.</summary>
public sealed class RunEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }
    public long ModelId { get; set; }
    public required string Source { get; set; }
    public RunStatus Status { get; set; }
    public string? StatusReason { get; set; }
    public int TopK { get; set; }
    public bool StoreEmbeddings { get; set; }

    /// <summary>Whether predictions keep the full class distribution (float16) besides the top-k.</summary>
    public bool StoreFullDistribution { get; set; }

    /// <summary>For a teacher pass restricted to a pseudo-label set's images (source set:&lt;name&gt;): that set's id.</summary>
    public long? SourceSetId { get; set; }
    /// <summary>Runs planned together over one source (<c>--model a --model b</c>) share this id: each image is fetched and decoded once for all of them.</summary>
    public Guid? PassId { get; set; }

    /// <summary>For an ensemble teacher run: how its teachers' probabilities are combined and which models they are (see <see cref="Runs.RunEnsemble"/>).</summary>
    public string? Ensemble { get; set; }
    public double ErrorBudget { get; set; }
    public int ShardSize { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary>When the planner wrote the run's last shard; null while planning goes on (or the planner died).</summary>
    public DateTime? PlanningCompletedAt { get; set; }
}
