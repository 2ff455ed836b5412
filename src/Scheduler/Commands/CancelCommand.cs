using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Runs;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>cancel &lt;run&gt;</c>: marks the run cancelled and its unfinished shards skipped. Workers check before each
/// shard, so queued shards are acknowledged without work, and a shard in progress stops at its next lease renewal.
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
        var result = await new RunActions(storage.Runs).CancelAsync(run, "cancelled by the user", cancellationToken);
        CliChecks.Require(result.Succeeded, result.Message);
        _console.WriteLine($"run {run.Name} ({run.Id}) cancelled");
        return ExitCodes.Success;
    }
}
