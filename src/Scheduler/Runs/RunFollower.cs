using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// Plans a run and follows it until it ends: the one flow behind <c>label</c>, <c>submit --wait</c>,
/// <c>pseudo-label teach</c>, <c>resume</c> and embedded <c>retry-failed</c>. When this process owns the run (embedded
/// mode: no one else will work on it), a planning failure fails the run, and an interruption (Ctrl+C) puts it back
/// to Planning with the reason, its shards as they were, so that <c>resume</c> can continue it; a distributed run goes
/// on without the process that follows it. The runs of a multi-model pass are planned together and followed until
/// every one of them has ended.
/// </summary>
public sealed class RunFollower(RunMonitor monitor, IRunPlanStore runs)
{
    /// <summary>The reason an interrupted embedded run keeps until it is resumed (status and runs show it).</summary>
    public static string InterruptedReason(Guid runId) => $"interrupted; continue it with: enb resume {runId}";

    /// <summary>
    /// Runs <paramref name="plan"/> (planning, resuming, or publishing retries) and follows the runs (one, or the runs of
    /// a multi-model pass) until every one has ended: their outcomes, in order; <paramref name="progress"/> reports the first run's counts.
    /// </summary>
    public async Task<IReadOnlyList<RunOutcome>> FollowAsync(
        IReadOnlyList<RunInfo> pass, Func<CancellationToken, Task<PlanSummary>> plan, bool ownsRun, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        using var planningStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var planning = plan(planningStop.Token);
        try
        {
            return await Task.WhenAll(pass.Select((run, i) =>
                monitor.WaitAsync(run.Id, run.ErrorBudget, planning, i == 0 ? progress : null, cancellationToken)));
        }
        catch (Exception e) when (ownsRun && planning.IsFaulted && e is not OperationCanceledException)
        {
            var reason = $"planning failed: {planning.Exception!.GetBaseException().Message}";
            foreach (var run in await StillGoingAsync(pass))
            {
                await runs.EndRunAsync(run.Id, RunStatus.Failed, reason, CancellationToken.None);
            }

            throw new RunPlanningException(reason, e);
        }
        catch (OperationCanceledException) when (ownsRun)
        {
            // Back to Planning (not started), not Cancelled: nothing more is claimed and shards in progress stop at their
            // next lease renewal, as after a cancel, but no shard is skipped, so resume can go on with all of them.
            await planningStop.CancelAsync();
            foreach (var run in await StillGoingAsync(pass))
            {
                await runs.SetRunStatusAsync(run.Id, RunStatus.Planning, InterruptedReason(run.Id), CancellationToken.None);
            }

            throw;
        }
        finally
        {
            await planningStop.CancelAsync();
        }
    }

    /// <summary>The runs that have not ended: a run of a pass that already ended (over its error budget, say) keeps its own outcome.</summary>
    private async Task<IReadOnlyList<RunInfo>> StillGoingAsync(IReadOnlyList<RunInfo> pass)
    {
        if (pass.Count == 1)
        {
            return pass;
        }

        var going = new List<RunInfo>();
        foreach (var run in pass)
        {
            if ((await runs.GetProgressAsync(run.Id, CancellationToken.None)).Status is RunStatus.Planning or RunStatus.Running)
            {
                going.Add(run);
            }
        }

        return going;
    }
}
