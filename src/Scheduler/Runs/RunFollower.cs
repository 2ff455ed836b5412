using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// Plans a run and follows it until it ends: the one flow behind <c>label</c>, <c>submit --wait</c> and
/// <c>pseudo-label teach</c>. When this process owns the run (embedded mode: no one else will work on it), a planning
/// failure fails the run and a cancellation cancels it; a distributed run goes on without the process that follows it.
/// </summary>
public sealed class RunFollower(RunPlanner planner, RunMonitor monitor, IRunPlanStore runs)
{
    public async Task<RunOutcome> PlanAndFollowAsync(
        PlannedRun planned, IImageSource source, bool onlyNew, bool ownsRun, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        var runId = planned.Run.Id;
        using var planningStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var planning = planner.PlanAsync(planned, source, onlyNew, planningStop.Token);
        try
        {
            return await monitor.WaitAsync(runId, planned.Run.ErrorBudget, planning, progress, cancellationToken);
        }
        catch (Exception e) when (ownsRun && planning.IsFaulted && e is not OperationCanceledException)
        {
            var reason = $"planning failed: {planning.Exception!.GetBaseException().Message}";
            await runs.EndRunAsync(runId, RunStatus.Failed, reason, CancellationToken.None);
            throw new RunPlanningException(reason, e);
        }
        catch (OperationCanceledException) when (ownsRun)
        {
            await runs.EndRunAsync(runId, RunStatus.Cancelled, "cancelled by the user", CancellationToken.None);
            throw;
        }
        finally
        {
            await planningStop.CancelAsync();
        }
    }
}
