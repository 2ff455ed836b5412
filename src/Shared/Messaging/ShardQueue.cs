namespace EfficientNet.Batch.Messaging;

/// <summary>Names of the broker objects every process agrees on (the Helm chart's KEDA trigger reads the queue name too).</summary>
public static class ShardQueue
{
    /// <summary>The quorum queue that holds ProcessShard messages; its _error twin holds shards that failed every retry.</summary>
    public const string Name = "process-shard";
}
