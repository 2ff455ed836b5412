using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.Worker;

/// <summary>The worker's per-shard and per-batch log lines, source-generated (no boxing, no parsing of the template per call).</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {ShardId} of run {RunId} is already done or its run has stopped; skipping")]
    public static partial void ShardSkipped(ILogger logger, long shardId, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {ShardId} of run {RunId} stopped: its run has ended")]
    public static partial void ShardStoppedRunEnded(ILogger logger, long shardId, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {ShardId} of run {RunId} committed: {Ok} labeled, {Failed} failed")]
    public static partial void ShardCommitted(ILogger logger, long shardId, Guid runId, int ok, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId} of run {RunId} (one run of a multi-model pass) failed its model and goes on alone: {Reason}")]
    public static partial void PassMemberSplitOff(ILogger logger, long shardId, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the lease of shard {ShardId}: {Reason}")]
    public static partial void LeaseRenewalFailed(ILogger logger, long shardId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Inference failed for a batch of {Count} images")]
    public static partial void BatchFailed(ILogger logger, Exception exception, int count);
}
