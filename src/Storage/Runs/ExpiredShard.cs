using EfficientNet.Batch.Contracts;

namespace EfficientNet.Batch.Storage.Runs;

/// <summary>A shard whose lease expired, with what is needed to publish it again.</summary>
public sealed record ExpiredShard(Guid RunId, long ShardId, ShardStatus Status, int Attempts, IReadOnlyList<ShardItem> Items);
