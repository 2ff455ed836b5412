using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>Ends running runs: completed when every shard is done, failed once their failures exceed the error budget.</summary>
public sealed class RunCompletionService(
    IRunQueries runs, RunMonitor monitor, IOptions<SchedulerServiceOptions> options, ILogger<RunCompletionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CompletionIntervalSeconds));
        do
        {
            try
            {
                var active = await runs.ListActiveRunsAsync(stoppingToken);
                SchedulerMetrics.ActiveRuns.Set(active.Count);
                foreach (var run in active)
                {
                    var progress = await runs.GetProgressAsync(run.Id, stoppingToken);
                    if (await monitor.EvaluateAsync(progress, run.ErrorBudget, DateTimeOffset.UtcNow - run.CreatedAt, stoppingToken) is { } outcome)
                    {
                        SchedulerLog.RunEnded(
                            logger, run.Name, run.Id, outcome.Status, outcome.Progress.Succeeded, outcome.Progress.Failed,
                            outcome.Reason is null ? "" : $" ({outcome.Reason})");
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be restarting: keep going, the next tick tries again.
                SchedulerLog.CompletionCheckFailed(logger, e.GetBaseException().Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
