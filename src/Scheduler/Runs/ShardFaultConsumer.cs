using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.Runs;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// A shard whose processing failed after every retry (not a bad image: those are failures rows) stops its run:
/// the run is marked failed with the reason, and its remaining shards are skipped (every run the message names).
/// </summary>
public sealed class ShardFaultConsumer(IRunPlanStore runs, ILogger<ShardFaultConsumer> logger) : IConsumer<Fault<ProcessShard>>
{
    public async Task Consume(ConsumeContext<Fault<ProcessShard>> context)
    {
        var shard = context.Message.Message;
        var exception = context.Message.Exceptions.FirstOrDefault();
        var reason = SecretRedactor.Redact($"shard {shard.ShardId} failed: {exception?.Message ?? "unknown error"}");
        // A shard of a multi-model pass names every run's shard: a fault of the whole message (a model's own failure is
        // split off by the worker first) stops each of them.
        foreach (var runId in shard.PassMembers.Select(m => m.RunId).Prepend(shard.RunId))
        {
            SchedulerLog.RunStoppedByShardFault(logger, runId, reason);
            await runs.EndRunAsync(runId, RunStatus.Failed, reason, context.CancellationToken);
        }
    }
}
