using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;
using EfficientNet.Batch.Scheduler.Progress;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>status [run]</c>: a run's counts, shards and failures by reason; <c>--watch</c> follows it until it ends.</summary>
public sealed class StatusCommand
{
    private readonly CliConsole _console;
    private readonly Argument<string> _run = new("run") { Description = "A run's id, name, or 'latest'.", DefaultValueFactory = _ => "latest" };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<bool> _watch = new("--watch") { Description = "Keep showing progress until the run ends." };

    public StatusCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("status", "Show a run's progress.") { _run, _database, _postgres, _watch };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        await using var storage = await StorageScope.OpenAsync(database, cancellationToken);
        var run = await storage.FindRunAsync(parse.GetValue(_run)!, cancellationToken);
        var progress = await storage.Runs.GetProgressAsync(run.Id, cancellationToken);
        if (RunLock.IsInterrupted(database, run))
        {
            // No process works on it: watching would wait forever.
            Print(run, progress, await PassRunsAsync(storage, run, cancellationToken), database);
            return ExitCodes.Success;
        }

        if (parse.GetValue(_watch) && progress.Status is RunStatus.Planning or RunStatus.Running)
        {
            // Like submit --wait, a watcher also ends the run when it is over, so runs finish without `serve` too.
            var monitor = new RunMonitor(storage.Runs);
            var outcome = await new LiveProgress(_console, storage.Insights).FollowAsync(
                run.Id, progress => monitor.WaitAsync(run.Id, run.ErrorBudget, planning: null, progress, cancellationToken), cancellationToken);
            run = await storage.FindRunAsync(run.Id.ToString(), cancellationToken);
            Print(run, outcome.Progress, await PassRunsAsync(storage, run, cancellationToken), database);
            return ExitCodes.For(outcome); // as label and submit --wait: 2 when the error budget ended it
        }

        Print(run, progress, await PassRunsAsync(storage, run, cancellationToken), database);
        return progress.Status switch
        {
            RunStatus.Failed => ExitCodes.RunFailed,
            RunStatus.Cancelled => ExitCodes.RunFailed,
            _ => ExitCodes.Success,
        };
    }

    private void Print(RunInfo run, RunProgress p, IReadOnlyList<RunInfo> passRuns, DatabaseChoice database)
    {
        _console.WriteLine($"run:      {run.Name} ({run.Id})");
        var reason = RunLock.IsInterrupted(database, run)
            ? $"no process is working on it; continue it with: enb resume {run.Id} --db {database.SqlitePath}"
            : run.StatusReason;
        _console.WriteLine($"status:   {RunLock.Describe(database, run)}{(reason is null ? "" : $": {reason}")}");
        _console.WriteLine($"model:    {run.ModelName}");
        if (run.PassId is { } passId)
        {
            _console.WriteLine($"pass:     {passId} (runs {string.Join(", ", passRuns.Select(r => r.Name))})");
        }

        _console.WriteLine($"source:   {run.Source}");
        _console.WriteLine($"images:   {p.Done} of {p.TotalImages}{(p.PlanningCompleted ? "" : " (still planning)")}: {p.Succeeded} ok, {p.Failed} failed");
        _console.WriteLine($"shards:   {p.CompletedShards} of {p.TotalShards} done");
        foreach (var failure in p.FailuresByReason)
        {
            _console.WriteLine($"  {failure.Count,6} x {failure.Stage}: {failure.Reason}");
        }
    }

    /// <summary>The runs planned together with this one (a multi-model pass), this one included; empty for a single run.</summary>
    private static async Task<IReadOnlyList<RunInfo>> PassRunsAsync(StorageScope storage, RunInfo run, CancellationToken cancellationToken) =>
        run.PassId is { } passId ? await storage.Runs.ListPassRunsAsync(passId, cancellationToken) : [];
}
