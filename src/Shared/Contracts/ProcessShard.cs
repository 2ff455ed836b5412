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
}
