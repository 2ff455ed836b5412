using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// Plans a run and follows it until it ends: the one flow behind <c>label</c>, <c>submit --wait</c>,
/// <c>pseudo-label teach</c>, <c>resume</c> and embedded <c>retry-failed</c>. When this process owns the run (embedded
/// mode: no one else will work on it), a planning failure fails the run, and an interruption (Ctrl+C) puts it back
/// to Planning with the reason, its shards as they were, so that <c>resume</c> can continue it; a distributed run goes
/// on without the process that follows it.
/// </summary>
public sealed class RunFollower(RunPlanner planner, RunMonitor monitor, IRunPlanStore runs)
{
    /// <summary>The reason an interrupted embedded run keeps until it is resumed (status and runs show it).</summary>
    public static string InterruptedReason(Guid runId) => $"interrupted; continue it with: enb resume {runId}";

    public Task<RunOutcome> PlanAndFollowAsync(
        PlannedRun planned, IImageSource source, bool onlyNew, bool ownsRun, IProgress<RunProgress>? progress, CancellationToken cancellationToken) =>
        FollowAsync(planned.Run, ct => planner.PlanAsync(planned, source, onlyNew, ct), ownsRun, progress, cancellationToken);

    /// <summary>Runs <paramref name="plan"/> (planning, resuming, or publishing retries) and follows the run until it ends.</summary>
    public async Task<RunOutcome> FollowAsync(
        RunInfo run, Func<CancellationToken, Task<PlanSummary>> plan, bool ownsRun, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        var runId = run.Id;
        using var planningStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var planning = plan(planningStop.Token);
        try
        {
            return await monitor.WaitAsync(runId, run.ErrorBudget, planning, progress, cancellationToken);
        }
        catch (Exception e) when (ownsRun && planning.IsFaulted && e is not OperationCanceledException)
        {
            var reason = $"planning failed: {planning.Exception!.GetBaseException().Message}";
            await runs.EndRunAsync(runId, RunStatus.Failed, reason, CancellationToken.None);
            throw new RunPlanningException(reason, e);
        }
        catch (OperationCanceledException) when (ownsRun)
        {
            // Back to Planning (not started), not Cancelled: nothing more is claimed and shards in progress stop at their
            // next lease renewal, as after a cancel, but no shard is skipped, so resume can go on with all of them.
            await planningStop.CancelAsync();
            await runs.SetRunStatusAsync(runId, RunStatus.Planning, InterruptedReason(runId), CancellationToken.None);
            throw;
        }
        finally
        {
            await planningStop.CancelAsync();
        }
    }
}
