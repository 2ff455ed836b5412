using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Worker.Hosting;
using EfficientNet.Batch.Worker.Pipeline;
using Prometheus;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Worker.Consumers;

/// <summary>
/// Processes one shard and commits its results before returning: the broker acks the message only after the
/// commit, so a worker that dies mid-shard loses nothing (the shard is redelivered and written once). While it works,
/// it renews the shard's lease so that the scheduler's sweeper does not hand a slow but live shard to another worker;
/// a renewal that finds the run ended (cancelled, or failed over its error budget) stops the shard within one renewal
/// interval, without writing its results.
/// </summary>
public sealed class ProcessShardConsumer(
    IShardLeaseStore leases,
    ShardProcessor processor,
    IShardResultWriter results,
    WorkerIdentity worker,
    IOptions<PipelineOptions> options,
    ILogger<ProcessShardConsumer> logger) : IConsumer<ProcessShard>
{
    public async Task Consume(ConsumeContext<ProcessShard> context)
    {
        var shard = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = shard.RunId, ["ShardId"] = shard.ShardId });
        if (!await leases.TryStartShardAsync(shard.RunId, shard.ShardId, worker.Id, context.CancellationToken))
        {
            WorkerLog.ShardSkipped(logger, shard.ShardId, shard.RunId);
            WorkerMetrics.Shards.WithLabels("skipped").Inc();
            return;
        }

        using var inFlight = WorkerMetrics.ShardsInFlight.TrackInProgress();
        using var timer = WorkerMetrics.ShardSeconds.NewTimer();
        using var stopRenewing = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        using var runEnded = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var renewing = RenewLeaseAsync(shard, runEnded, stopRenewing.Token);
        try
        {
            ShardResult result;
            try
            {
                result = await processor.ProcessAsync(shard, worker.Id, runEnded.Token);
            }
            catch (OperationCanceledException) when (runEnded.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                // The run's shards were skipped meanwhile: acking without results is what a later redelivery would do too.
                WorkerLog.ShardStoppedRunEnded(logger, shard.ShardId, shard.RunId);
                WorkerMetrics.Shards.WithLabels("stopped").Inc();
                return;
            }

            using (WorkerMetrics.WriteSeconds.NewTimer())
            {
                await results.WriteAsync(result, context.CancellationToken);
            }

            WorkerMetrics.Shards.WithLabels("completed").Inc();
            WorkerMetrics.Images.WithLabels("ok", "").Inc(result.Predictions.Count);
            foreach (var stage in result.Failures.GroupBy(f => f.Stage))
            {
                WorkerMetrics.Images.WithLabels("failed", stage.Key).Inc(stage.Count());
            }

            WorkerLog.ShardCommitted(logger, shard.ShardId, shard.RunId, result.Predictions.Count, result.Failures.Count);
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }
    }

    /// <summary>
    /// Renews the lease every Pipeline:LeaseRenewalSeconds. A renewal that matches no row means the shard is no longer
    /// this worker's Running shard: re-published to another worker (keep going, the write is idempotent), or skipped
    /// because its run ended: then <paramref name="runEnded"/> stops the shard's work.
    /// </summary>
    private async Task RenewLeaseAsync(ProcessShard shard, CancellationTokenSource runEnded, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.LeaseRenewalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    if (await leases.RenewShardLeaseAsync(shard.RunId, shard.ShardId, worker.Id, cancellationToken) == LeaseRenewal.RunEnded)
                    {
                        await runEnded.CancelAsync();
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed renewal only risks a harmless duplicate (results are idempotent); never fail the shard for it.
                    WorkerLog.LeaseRenewalFailed(logger, shard.ShardId, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The shard finished (or the worker is stopping).
        }
    }
}
