using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>
/// Cancel and retry-failed, one set of rules for the dashboard's actions and the <c>cancel</c> and <c>retry-failed</c>
/// commands.
/// Retry needs a bus to publish to (a <see cref="RunPlanner"/>): the distributed service's, or the embedded
/// <c>retry-failed</c> command's own in-process one; the service over an embedded database has none and says so.
/// </summary>
public sealed class RunActions(IRunPlanStore runs, RunPlanner? planner = null)
{
    public async Task<ActionResult> CancelAsync(RunInfo run, string reason, CancellationToken cancellationToken)
    {
        if (run.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled)
        {
            return ActionResult.Conflict($"run {run.Name} has already ended ({run.Status.ToString().ToLowerInvariant()})");
        }

        await runs.EndRunAsync(run.Id, RunStatus.Cancelled, reason, cancellationToken);
        return ActionResult.Done($"run {run.Name} cancelled");
    }

    public async Task<ActionResult> RetryFailedAsync(RunInfo run, CancellationToken cancellationToken)
    {
        if (planner is null)
        {
            return ActionResult.Conflict("this service has no workers (embedded database): run 'enb retry-failed <run> --db <file>', which re-processes the failed images in its own process");
        }

        if (run.Status is RunStatus.Running or RunStatus.Planning)
        {
            return ActionResult.Conflict($"run {run.Name} is still running; retry its failures once it has ended");
        }

        // Shards a cancel or an exceeded budget skipped were never processed: retrying the failures alone would then end
        // the run "completed" with those images missing.
        if ((await runs.GetProgressAsync(run.Id, cancellationToken)).SkippedShards is > 0 and var skipped)
        {
            return ActionResult.Conflict(
                $"run {run.Name} ended with {skipped} shard(s) never processed ({run.Status.ToString().ToLowerInvariant()}); "
                + "retry-failed would leave them out: submit the source again with --only-new");
        }

        var shape = await planner.DescribeAsync(run, cancellationToken);
        var shards = await runs.RequeueFailedImagesAsync(run.Id, run.ShardSize, cancellationToken);
        foreach (var shard in shards)
        {
            await planner.PublishAndMarkAsync(run.Id, shard, shape, cancellationToken);
        }

        return ActionResult.Done($"{shards.Sum(s => s.Items.Count)} failed images requeued in {shards.Count} shards");
    }
}

public sealed record ActionResult(bool Succeeded, string Message)
{
    public static ActionResult Done(string message) => new(true, message);

    public static ActionResult Conflict(string message) => new(false, message);
}
