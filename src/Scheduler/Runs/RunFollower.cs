using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// Plans a run and follows it until it ends: the one flow behind <c>label</c>, <c>submit --wait</c> and
/// <c>pseudo-label teach</c>. When this process owns the run (embedded mode: no one else will work on it), a planning
/// failure fails the run and a cancellation cancels it; a distributed run goes on without the process that follows it.
/// The runs of a multi-model pass are planned together and followed until every one of them has ended.
/// </summary>
public sealed class RunFollower(RunPlanner planner, RunMonitor monitor, IRunPlanStore runs)
{
    public async Task<RunOutcome> PlanAndFollowAsync(
        PlannedRun planned, IImageSource source, bool onlyNew, bool ownsRun, IProgress<RunProgress>? progress, CancellationToken cancellationToken) =>
        (await PlanAndFollowPassAsync([planned], source, onlyNew, ownsRun, progress, cancellationToken))[0];

    /// <summary>Every run's outcome, in the pass's order; <paramref name="progress"/> reports the first run's counts.</summary>
    public async Task<IReadOnlyList<RunOutcome>> PlanAndFollowPassAsync(
        IReadOnlyList<PlannedRun> pass, IImageSource source, bool onlyNew, bool ownsRun, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        using var planningStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var planning = planner.PlanPassAsync(pass, source, onlyNew, planningStop.Token);
        try
        {
            return await Task.WhenAll(pass.Select((planned, i) =>
                monitor.WaitAsync(planned.Run.Id, planned.Run.ErrorBudget, planning, i == 0 ? progress : null, cancellationToken)));
        }
        catch (Exception e) when (ownsRun && planning.IsFaulted && e is not OperationCanceledException)
        {
            var reason = $"planning failed: {planning.Exception!.GetBaseException().Message}";
            await EndAllAsync(pass, RunStatus.Failed, reason);
            throw new RunPlanningException(reason, e);
        }
        catch (OperationCanceledException) when (ownsRun)
        {
            await EndAllAsync(pass, RunStatus.Cancelled, "cancelled by the user");
            throw;
        }
        finally
        {
            await planningStop.CancelAsync();
        }
    }

    private async Task EndAllAsync(IReadOnlyList<PlannedRun> pass, RunStatus status, string reason)
    {
        foreach (var planned in pass)
        {
            // A run of the pass that already ended (over its error budget, say) keeps its own outcome.
            if (pass.Count == 1 || (await runs.GetProgressAsync(planned.Run.Id, CancellationToken.None)).Status is RunStatus.Planning or RunStatus.Running)
            {
                await runs.EndRunAsync(planned.Run.Id, status, reason, CancellationToken.None);
            }
        }
    }
}
