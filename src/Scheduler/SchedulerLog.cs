using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.Scheduler;

/// <summary>The scheduler's per-run and per-shard log lines and its failures, source-generated.</summary>
internal static partial class SchedulerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} planned: {Images} images in {Shards} shards ({Skipped} already labeled by this model, left out)")]
    public static partial void RunPlanned(ILogger logger, Guid runId, long images, int shards, long skipped);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} stopped: {Reason}")]
    public static partial void RunStoppedByShardFault(ILogger logger, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunName} ({RunId}) {Status}: {Succeeded} ok, {Failed} failed{Reason}")]
    public static partial void RunEnded(ILogger logger, string runName, Guid runId, Storage.Runs.RunStatus status, long succeeded, long failed, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run completion check failed: {Reason}")]
    public static partial void CompletionCheckFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard sweep failed: {Reason}")]
    public static partial void SweepFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-published shard {ShardId} of run {RunName}: its lease expired while {Status} (attempt {Attempts})")]
    public static partial void ShardRepublished(ILogger logger, long shardId, string runName, Storage.Runs.ShardStatus status, int attempts);
}
