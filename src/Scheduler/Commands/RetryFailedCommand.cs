using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Dashboard;
using EfficientNet.Batch.Scheduler.Runs;
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
            var name = parse.GetValue(_run)!;
            var run = await runs.FindRunAsync(name, cancellationToken) ?? throw new CliException($"no run matches '{name}' (see 'runs')");
            var result = await new RunActions(runs, host.Services.GetRequiredService<RunPlanner>()).RetryFailedAsync(run, cancellationToken);
            CliChecks.Require(result.Succeeded, result.Message);
            _console.WriteLine($"run {run.Name}: {result.Message}");
            return ExitCodes.Success;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
