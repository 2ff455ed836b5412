using System.Diagnostics;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// Decides when a run is over, from the database alone (the source of truth in both modes): completed once its
/// planning is final and every shard is done; failed as soon as its failures can no longer fit its error budget.
/// Used by <c>label</c> and <c>submit --wait</c> while they follow a run, and by the scheduler service for every run.
/// Finishing twice is harmless: both writers set the same outcome.
/// </summary>
public sealed class RunMonitor(IRunPlanStore runs)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Follows a run until it ends. <paramref name="planning"/> is the planner's task when it runs in this process
    /// (its failure is rethrown); null when planning happens elsewhere.
    /// </summary>
    public async Task<RunOutcome> WaitAsync(
        Guid runId, double errorBudget, Task<PlanSummary>? planning, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (planning is { IsFaulted: true })
            {
                await planning;
            }

            var current = await runs.GetProgressAsync(runId, cancellationToken);
            progress?.Report(current);
            if (await EvaluateAsync(current, errorBudget, clock.Elapsed, cancellationToken) is { } outcome)
            {
                return outcome;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>Ends the run if it is over (or reports how it ended); null while it is still going.</summary>
    public async Task<RunOutcome?> EvaluateAsync(RunProgress current, double errorBudget, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var runId = current.RunId;
        if (current.Status is RunStatus.Failed or RunStatus.Cancelled or RunStatus.Completed)
        {
            var info = await runs.FindRunAsync(runId.ToString(), cancellationToken);
            return new RunOutcome(current.Status, info?.StatusReason, current, elapsed,
                ErrorBudgetExceeded: current.Status == RunStatus.Failed && ErrorBudget.IsExceeded(current.Failed, current.TotalImages, errorBudget));
        }

        if (!current.PlanningCompleted)
        {
            return null;
        }

        if (ErrorBudget.IsExceeded(current.Failed, current.TotalImages, errorBudget))
        {
            return await FinishAsync(runId, RunStatus.Failed, ErrorBudget.Describe(current.Failed, current.TotalImages, errorBudget), elapsed, cancellationToken)
                with { ErrorBudgetExceeded = true };
        }

        return current.TotalShards == 0 || current.AllShardsDone
            ? await FinishAsync(runId, RunStatus.Completed, null, elapsed, cancellationToken)
            : null;
    }

    private async Task<RunOutcome> FinishAsync(Guid runId, RunStatus status, string? reason, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        await runs.EndRunAsync(runId, status, reason, cancellationToken);
        var final = await runs.GetProgressAsync(runId, cancellationToken);
        return new RunOutcome(status, reason, final, elapsed);
    }
}
