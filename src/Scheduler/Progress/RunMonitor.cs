using System.Diagnostics;
using EfficientNet.Batch.Scheduler.Planning;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Progress;

/// <summary>
/// Follows a run in the database until every shard is done, reports progress, and decides the run's outcome against
/// its error budget. Stops the run early once its failures can no longer fit the budget.
/// </summary>
public sealed class RunMonitor(IRunStore runs)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public async Task<RunOutcome> WaitAsync(
        Guid runId, double errorBudget, Task<PlanSummary> planning, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var current = await runs.GetProgressAsync(runId, cancellationToken);
            progress?.Report(current);
            if (current.Status is RunStatus.Failed or RunStatus.Cancelled)
            {
                var info = await runs.FindRunAsync(runId.ToString(), cancellationToken);
                return new RunOutcome(current.Status, info?.StatusReason, current, clock.Elapsed);
            }

            if (planning.IsCompleted)
            {
                var plan = await planning;
                if (ErrorBudget.IsExceeded(current.Failed, plan.Images, errorBudget))
                {
                    return await FinishAsync(runId, RunStatus.Failed, ErrorBudget.Describe(current.Failed, plan.Images, errorBudget), clock, cancellationToken) with { ErrorBudgetExceeded = true };
                }

                if (plan.Shards == 0 || current.AllShardsDone)
                {
                    return await FinishAsync(runId, RunStatus.Completed, null, clock, cancellationToken);
                }
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private async Task<RunOutcome> FinishAsync(Guid runId, RunStatus status, string? reason, Stopwatch clock, CancellationToken cancellationToken)
    {
        await runs.SetRunStatusAsync(runId, status, reason, cancellationToken);
        if (status != RunStatus.Completed)
        {
            await runs.SkipRemainingShardsAsync(runId, cancellationToken);
        }

        var final = await runs.GetProgressAsync(runId, cancellationToken);
        return new RunOutcome(status, reason, final, clock.Elapsed);
    }
}
