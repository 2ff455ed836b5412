namespace EfficientNet.Batch.Storage.Runs;

/// <summary>A shard as written by the planner: its id and its images (id + key), ready to publish.</summary>
public sealed record PlannedShard(long ShardId, IReadOnlyList<EfficientNet.Batch.Contracts.ShardItem> Items);
