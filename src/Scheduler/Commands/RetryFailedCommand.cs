using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Dashboard;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>retry-failed &lt;run&gt;</c>: puts the run's failed images (only those) into new shards. Over PostgreSQL they are
/// published to the workers (distributed mode); over an embedded SQLite database this process labels them and
/// follows the run to its end, as <c>label</c> does.
/// </summary>
public sealed class RetryFailedCommand
{
    private readonly CliConsole _console;
    private readonly Argument<string> _run = new("run") { Description = "A run's id, name, or 'latest'." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _batchSize = new("--batch-size") { Description = "Embedded database: largest batch sent to the model, or 'auto'.", DefaultValueFactory = _ => "8" };
    private readonly Option<bool> _verbose = CommonOptions.Verbose();

    public RetryFailedCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("retry-failed", "Re-process a run's failed images: in this process over an embedded database, by the workers over PostgreSQL.")
        {
            _run, _database, _postgres, _batchSize, _verbose,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        var batchSize = CliChecks.BatchSize(parse.GetValue(_batchSize)!);
        return database.IsPostgres ? PublishAsync(parse, database, cancellationToken) : RunHereAsync(parse, database, batchSize, cancellationToken);
    }

    private Task<int> RunHereAsync(ParseResult parse, DatabaseChoice database, int batchSize, CancellationToken cancellationToken) =>
        new RunLauncher(_console).ContinueHereAsync(
            database,
            batchSize,
            parse.GetValue(_verbose),
            parse.GetValue(_run)!,
            async (services, run, progress, ct) =>
            {
                CliChecks.Require(
                    run.Status is not (RunStatus.Running or RunStatus.Planning),
                    $"run {run.Name} has not ended; if it was interrupted, continue it first with: enb resume {run.Id}");
                var result = await new RunActions(services.GetRequiredService<IRunPlanStore>(), services.GetRequiredService<RunPlanner>())
                    .RetryFailedAsync(run, ct);
                CliChecks.Require(result.Succeeded, result.Message);
                return new ContinuedRun($"Retrying run {run.Name} ({run.Id}): {result.Message}", progress.Succeeded, _ => Task.FromResult(new PlanSummary(0, 0)));
            },
            cancellationToken);

    private async Task<int> PublishAsync(ParseResult parse, DatabaseChoice database, CancellationToken cancellationToken)
    {
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
