using System.Runtime.ExceptionServices;
using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Hosting;
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
/// A message of a multi-model pass names one shard per run (<see cref="ProcessShard.PassMembers"/>): each is claimed,
/// renewed and committed on its own, so a run that ended or a shard already done elsewhere is left out. A model that
/// fails in a pass fails only its own run's shard: that shard is published again alone, where it gets the retries and
/// the fault of a single-model shard, while the others commit.
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
        var targets = new List<ShardTarget>();
        foreach (var target in ShardTarget.Of(shard))
        {
            if (await leases.TryStartShardAsync(target.RunId, target.ShardId, worker.Id, context.CancellationToken))
            {
                targets.Add(target);
            }
            else
            {
                WorkerLog.ShardSkipped(logger, target.ShardId, target.RunId);
                WorkerMetrics.Shards.WithLabels("skipped").Inc();
            }
        }

        if (targets.Count == 0)
        {
            return;
        }

        using var inFlight = WorkerMetrics.ShardsInFlight.TrackInProgress();
        using var timer = WorkerMetrics.ShardSeconds.NewTimer();
        using var stopRenewing = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        using var allRunsEnded = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var ended = new HashSet<Guid>();
        var renewing = RenewLeasesAsync(targets, ended, allRunsEnded, stopRenewing.Token);
        try
        {
            IReadOnlyList<TargetOutcome> outcomes;
            try
            {
                outcomes = await processor.ProcessAsync(targets, shard.Items, worker.Id, allRunsEnded.Token);
            }
            catch (OperationCanceledException) when (allRunsEnded.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                // The runs' shards were skipped meanwhile: acking without results is what a later redelivery would do too.
                targets.ForEach(t => WorkerLog.ShardStoppedRunEnded(logger, t.ShardId, t.RunId));
                WorkerMetrics.Shards.WithLabels("stopped").Inc(targets.Count);
                return;
            }

            if (targets.Count == 1 && outcomes[0].Error is { } error)
            {
                ExceptionDispatchInfo.Throw(error); // a single-model shard: the broker's retries, then its fault, fail its run
            }

            foreach (var outcome in outcomes)
            {
                await CommitAsync(context, shard.Items, outcome, StillRunning(ended, outcome.Target));
            }
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }
    }

    private static bool StillRunning(HashSet<Guid> ended, ShardTarget target)
    {
        lock (ended)
        {
            return !ended.Contains(target.RunId);
        }
    }

    private async Task CommitAsync(ConsumeContext context, IReadOnlyList<ShardItem> items, TargetOutcome outcome, bool stillRunning)
    {
        var target = outcome.Target;
        if (!stillRunning)
        {
            WorkerLog.ShardStoppedRunEnded(logger, target.ShardId, target.RunId);
            WorkerMetrics.Shards.WithLabels("stopped").Inc();
            return;
        }

        if (outcome.Result is not { } result)
        {
            WorkerLog.PassMemberSplitOff(logger, target.ShardId, target.RunId, SecretRedactor.Redact(outcome.Error!.Message));
            await context.Publish(target.Alone(items), context.CancellationToken);
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

        WorkerLog.ShardCommitted(logger, result.ShardId, result.RunId, result.Predictions.Count, result.Failures.Count);
    }

    /// <summary>
    /// Renews every target's lease each Pipeline:LeaseRenewalSeconds. A renewal that matches no row means the shard is
    /// no longer this worker's Running shard: re-published to another worker (keep going, the write is idempotent), or
    /// skipped because its run ended: that target is then left out of the commit, and once every target's run has
    /// ended, <paramref name="allRunsEnded"/> stops the work.
    /// </summary>
    private async Task RenewLeasesAsync(IReadOnlyList<ShardTarget> targets, HashSet<Guid> ended, CancellationTokenSource allRunsEnded, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.LeaseRenewalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var target in targets.Where(t => StillRunning(ended, t)))
                {
                    try
                    {
                        if (await leases.RenewShardLeaseAsync(target.RunId, target.ShardId, worker.Id, cancellationToken) == LeaseRenewal.RunEnded)
                        {
                            lock (ended)
                            {
                                ended.Add(target.RunId);
                            }
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // A missed renewal only risks a harmless duplicate (results are idempotent); never fail the shard for it.
                        WorkerLog.LeaseRenewalFailed(logger, target.ShardId, e.Message);
                    }
                }

                if (targets.All(t => !StillRunning(ended, t)))
                {
                    await allRunsEnded.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The shard finished (or the worker is stopping).
        }
    }
}
