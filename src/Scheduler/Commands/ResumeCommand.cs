using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>resume &lt;run&gt;</c>: continues, in this process, an embedded run (label or pseudo-label teach) that stopped
/// before it ended: interrupted with Ctrl+C, killed, or its machine restarted. Only the shards that never completed are
/// processed, and the listing goes on where it stopped if planning had not finished; the run then ends as if it had
/// never stopped.
/// </summary>
public sealed class ResumeCommand
{
    private readonly CliConsole _console;
    private readonly Argument<string> _run = new("run") { Description = "The run's id, name, or 'latest'." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _batchSize = new("--batch-size") { Description = "Largest batch sent to the model, or 'auto'.", DefaultValueFactory = _ => "8" };
    private readonly Option<bool> _onlyNew = new("--only-new") { Description = "Give it again if the run was started with it: the rest of an unfinished listing then leaves out images this model already labeled." };
    private readonly Option<bool> _verbose = CommonOptions.Verbose();

    public ResumeCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("resume", "Continue an embedded run that was interrupted or killed: only its shards that never completed are processed.")
        {
            _run, _database, _postgres, _batchSize, _onlyNew, _verbose,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var batchSize = CliChecks.BatchSize(parse.GetValue(_batchSize)!);
        var onlyNew = parse.GetValue(_onlyNew);
        return new RunLauncher(_console).ContinueHereAsync(
            DatabaseChoice.From(parse, _postgres, _database),
            batchSize,
            parse.GetValue(_verbose),
            parse.GetValue(_run)!,
            async (services, run, progress, ct) =>
            {
                Refuse(run);
                var planner = services.GetRequiredService<RunPlanner>();
                var shape = await planner.DescribeAsync(run, ct);
                var planned = new PlannedRun(run, shape.Model, shape.Options, run.ShardSize, shape.Ensemble);
                var description =
                    $"Resuming run {run.Name} ({run.Id}) over {run.Source}: {progress.Done} of {progress.TotalImages} images already done "
                    + $"({progress.CompletedShards} of {progress.TotalShards} shards{(progress.PlanningCompleted ? "" : "; listing not finished, it goes on after the last image planned")})";
                return new ContinuedRun(
                    description,
                    progress.Done,
                    work => planner.ResumeAsync(planned, c => SourceOfAsync(services, run, c), onlyNew, progress.PlanningCompleted, work));
            },
            cancellationToken);
    }

    /// <summary>Only a run that never ended is resumed; the others name what to do instead.</summary>
    private static void Refuse(RunInfo run)
    {
        var reason = run.StatusReason is null ? "" : $" ({run.StatusReason})";
        switch (run.Status)
        {
            case RunStatus.Completed:
                throw new CliException($"run {run.Name} is completed: nothing to resume");
            case RunStatus.Cancelled:
                throw new CliException($"run {run.Name} was cancelled{reason}: a cancelled run is not resumed; label its source again with --only-new");
            case RunStatus.Failed:
                throw new CliException($"run {run.Name} failed{reason}: only an interrupted run is resumed; 'retry-failed' re-processes its failed images");
        }
    }

    /// <summary>The run's source again: its stored location, or the pseudo-label set it was made from.</summary>
    private static async Task<Storage.Sources.IImageSource> SourceOfAsync(IServiceProvider services, RunInfo run, CancellationToken cancellationToken) =>
        (await TeacherSource.ResolveAsync(services, run.SourceSetId is { } setId ? $"{Storage.PseudoLabels.PseudoLabelSetSource.Prefix}{setId}" : run.Source, cancellationToken)).Source;
}
