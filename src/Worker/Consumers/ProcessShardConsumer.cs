using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Worker.Pipeline;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.Worker.Consumers;

/// <summary>
/// Processes one shard and commits its results before returning: the broker acks the message only after the
/// commit, so a worker that dies mid-shard loses nothing (the shard is redelivered and written once).
/// </summary>
public sealed class ProcessShardConsumer(
    IRunStore runs,
    ShardProcessor processor,
    IShardResultWriter results,
    WorkerIdentity worker,
    ILogger<ProcessShardConsumer> logger) : IConsumer<ProcessShard>
{
    public async Task Consume(ConsumeContext<ProcessShard> context)
    {
        var shard = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = shard.RunId, ["ShardId"] = shard.ShardId });
        if (!await runs.TryStartShardAsync(shard.RunId, shard.ShardId, worker.Id, context.CancellationToken))
        {
            logger.LogInformation("Shard {ShardId} of run {RunId} is already done or its run has stopped; skipping", shard.ShardId, shard.RunId);
            return;
        }

        var result = await processor.ProcessAsync(shard, worker.Id, context.CancellationToken);
        await results.WriteAsync(result, context.CancellationToken);
        logger.LogDebug(
            "Shard {ShardId} of run {RunId} committed: {Ok} labeled, {Failed} failed",
            shard.ShardId, shard.RunId, result.Predictions.Count, result.Failures.Count);
    }
}
