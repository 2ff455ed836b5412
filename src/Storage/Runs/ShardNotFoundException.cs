namespace EfficientNet.Batch.Storage.Runs;

public sealed class ShardNotFoundException : Exception
{
    public ShardNotFoundException(Guid runId, long shardId)
        : base($"shard {shardId} of run {runId} does not exist")
    {
        RunId = runId;
        ShardId = shardId;
    }

    public Guid RunId { get; }

    public long ShardId { get; }
}
