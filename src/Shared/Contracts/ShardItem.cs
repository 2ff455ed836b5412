namespace EfficientNet.Batch.Contracts;

/// <summary>One image of a shard: its database id and its key in the run's image store (a relative path or blob name).</summary>
public sealed record ShardItem(long ImageId, string Key);
