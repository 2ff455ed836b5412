using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>cancel &lt;run&gt;</c>: marks the run cancelled and its unfinished shards skipped. Workers check before each
/// shard, so queued shards are acknowledged without work; shards already in progress finish and are kept.
/// </summary>
public sealed class CancelCommand
{
    private readonly CliConsole _console;
    private readonly Argument<string> _run = new("run") { Description = "A run's id, name, or 'latest'." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();

    public CancelCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("cancel", "Stop a run: its remaining shards are skipped.") { _run, _database, _postgres };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var run = await storage.FindRunAsync(parse.GetValue(_run)!, cancellationToken);
        if (run.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled)
        {
            throw new CliException($"run {run.Name} has already ended ({run.Status.ToString().ToLowerInvariant()})");
        }

        await storage.Runs.SetRunStatusAsync(run.Id, RunStatus.Cancelled, "cancelled by the user", cancellationToken);
        await storage.Runs.SkipRemainingShardsAsync(run.Id, cancellationToken);
        _console.WriteLine($"run {run.Name} ({run.Id}) cancelled");
        return ExitCodes.Success;
    }
}
