using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Planning;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>retry-failed &lt;run&gt;</c>: puts the run's failed images (only those) into new shards and publishes them.</summary>
public sealed class RetryFailedCommand
{
    private readonly CliConsole _console;
    private readonly Argument<string> _run = new("run") { Description = "A run's id, name, or 'latest'." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<bool> _verbose = CommonOptions.Verbose();

    public RetryFailedCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("retry-failed", "Re-process a run's failed images (distributed mode).") { _run, _database, _postgres, _verbose };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        using var host = await SchedulerHost.StartAsync(database, parse.GetValue(_verbose), cancellationToken);
        try
        {
            var runs = host.Services.GetRequiredService<IRunStore>();
            var planner = host.Services.GetRequiredService<RunPlanner>();
            var name = parse.GetValue(_run)!;
            var run = await runs.FindRunAsync(name, cancellationToken) ?? throw new CliException($"no run matches '{name}' (see 'runs')");
            if (run.Status is RunStatus.Running or RunStatus.Planning)
            {
                throw new CliException($"run {run.Name} is still running; retry its failures once it has ended");
            }

            var (model, options) = await planner.DescribeAsync(run, cancellationToken);
            var shards = await runs.RequeueFailedImagesAsync(run.Id, run.ShardSize, cancellationToken);
            foreach (var shard in shards)
            {
                await planner.PublishAndMarkAsync(run.Id, shard, model, options, cancellationToken);
            }

            _console.WriteLine($"run {run.Name}: {shards.Sum(s => s.Items.Count)} failed images requeued in {shards.Count} shards");
            return ExitCodes.Success;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
