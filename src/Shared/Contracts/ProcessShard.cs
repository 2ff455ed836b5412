namespace EfficientNet.Batch.Contracts;

/// <summary>
/// Asks a worker to label every image of one shard. Published by the scheduler, consumed by workers.
/// A shard may be delivered more than once; results are keyed (RunId, ImageId) so a redelivery writes nothing twice.
/// </summary>
public sealed record ProcessShard
{
    public required Guid RunId { get; init; }
    public required long ShardId { get; init; }
    public required IReadOnlyList<ShardItem> Items { get; init; }
    public required ModelReference Model { get; init; }
    public required ShardOptions Options { get; init; }

    /// <summary>The other runs of a multi-model pass that share this shard's images; empty for a single-model run.</summary>
    public IReadOnlyList<PassMember> PassMembers { get; init; } = [];

    /// <summary>Set for an ensemble teacher run: every teacher runs on each image and their probabilities are combined.</summary>
    public EnsembleTeachers? Ensemble { get; init; }
}
