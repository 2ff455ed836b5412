using EfficientNet.Batch.Scheduler.Planning;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Dashboard;

/// <summary>
/// What the dashboard's actions do, with the same rules as the <c>cancel</c> and <c>retry-failed</c> commands.
/// Retry needs the bus (distributed mode); over an embedded database the service has none and says so.
/// </summary>
public sealed class RunActions(IRunStore runs, IServiceProvider services)
{
    public async Task<ActionResult> CancelAsync(RunInfo run, CancellationToken cancellationToken)
    {
        if (run.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled)
        {
            return ActionResult.Conflict($"run {run.Name} has already ended ({run.Status.ToString().ToLowerInvariant()})");
        }

        await runs.SetRunStatusAsync(run.Id, RunStatus.Cancelled, "cancelled from the dashboard", cancellationToken);
        await runs.SkipRemainingShardsAsync(run.Id, cancellationToken);
        return ActionResult.Done($"run {run.Name} cancelled");
    }

    public async Task<ActionResult> RetryFailedAsync(RunInfo run, CancellationToken cancellationToken)
    {
        if (services.GetService<RunPlanner>() is not { } planner)
        {
            return ActionResult.Conflict("retry-failed needs distributed mode (serve with PostgreSQL and RabbitMQ); for an embedded run, label the folder again");
        }

        if (run.Status is RunStatus.Running or RunStatus.Planning)
        {
            return ActionResult.Conflict($"run {run.Name} is still running; retry its failures once it has ended");
        }

        var (model, options) = await planner.DescribeAsync(run, cancellationToken);
        var shards = await runs.RequeueFailedImagesAsync(run.Id, run.ShardSize, cancellationToken);
        foreach (var shard in shards)
        {
            await planner.PublishAndMarkAsync(run.Id, shard, model, options, cancellationToken);
        }

        return ActionResult.Done($"{shards.Sum(s => s.Items.Count)} failed images requeued in {shards.Count} shards");
    }
}

public sealed record ActionResult(bool Succeeded, string Message)
{
    public static ActionResult Done(string message) => new(true, message);

    public static ActionResult Conflict(string message) => new(false, message);
}
