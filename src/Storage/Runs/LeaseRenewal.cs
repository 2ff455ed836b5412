namespace EfficientNet.Batch.Storage.Runs;

/// <summary>What a worker's lease renewal found.</summary>
public enum LeaseRenewal
{
    /// <summary>The shard is still this worker's: its lease was extended.</summary>
    Renewed,

    /// <summary>The shard is no longer this worker's Running shard but its run goes on (the shard was re-published to another worker): keep going, the write is idempotent.</summary>
    Reassigned,

    /// <summary>The shard's run is no longer running (cancelled, failed, or gone): stop the shard's work.</summary>
    RunEnded,
}
