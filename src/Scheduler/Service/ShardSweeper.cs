using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>
/// Re-publishes shards whose lease expired: a worker was killed or hung (the broker redelivers unacked messages of a
/// dead connection, but not of a hung worker), or the planner died between committing a shard and publishing it.
/// Duplicates are harmless: results are idempotent and a completed shard is skipped on arrival.
/// </summary>
public sealed class ShardSweeper(
    IShardSweepStore sweep, IRunQueries runs, RunPlanner planner, IOptions<SchedulerServiceOptions> options, ILogger<ShardSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.SweepIntervalSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(TimeSpan.FromSeconds(settings.ShardLeaseSeconds), settings.MaxRepublishPerSweep, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                SchedulerLog.SweepFailed(logger, e.GetBaseException().Message);
            }
        }
    }

    public async Task<int> SweepAsync(TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        var expired = await sweep.ClaimExpiredShardsAsync(lease, limit, cancellationToken);
        foreach (var group in expired.GroupBy(s => s.RunId))
        {
            var run = await runs.FindRunAsync(group.Key.ToString(), cancellationToken);
            if (run is null)
            {
                continue;
            }

            var shape = await planner.DescribeAsync(run, cancellationToken);
            foreach (var shard in group)
            {
                await planner.PublishAsync(run.Id, new PlannedShard(shard.ShardId, shard.Items), shape, cancellationToken);
                SchedulerMetrics.ShardsRepublished.Inc();
                SchedulerLog.ShardRepublished(logger, shard.ShardId, run.Name, shard.Status, shard.Attempts);
            }
        }

        return expired.Count;
    }
}
