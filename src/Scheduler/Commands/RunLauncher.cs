using EfficientNet.Batch.Models;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;
using EfficientNet.Batch.Scheduler.Progress;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using EfficientNet.Batch.Worker.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// The one flow of <c>label</c>, <c>submit</c> and <c>pseudo-label teach</c>: start the host, create the run, plan it
/// and follow it to its end (<see cref="RunFollower"/>), print the summary. Embedded mode runs the shards in this
/// process and owns the run; distributed mode publishes them and, without --wait, returns once they are published.
/// </summary>
public sealed class RunLauncher(CliConsole console)
{
    /// <summary>What to run, decided once the database is open: the run request, its image source, and a readable copy of the model.</summary>
    public delegate Task<RunLaunch> PrepareRun(IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>Embedded mode: scheduler and worker in this process; the run is followed to its end.</summary>
    public async Task<int> RunHereAsync(DatabaseChoice database, int batchSize, bool verbose, PrepareRun prepare, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Inference:BatchSize"] = batchSize.ToString() });
        builder.AddEmbeddedMode(database, verbose);
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return await LaunchAsync(host, database, prepare, embedded: true, cancellationToken);
    }

    /// <summary>Distributed mode: the shards are published to the workers.</summary>
    public async Task<int> SubmitAsync(DatabaseChoice database, bool verbose, PrepareRun prepare, CancellationToken cancellationToken)
    {
        using var host = await SchedulerHost.StartAsync(database, verbose, cancellationToken);
        return await LaunchAsync(host, database, prepare, embedded: false, cancellationToken);
    }

    private async Task<int> LaunchAsync(IHost host, DatabaseChoice database, PrepareRun prepare, bool embedded, CancellationToken cancellationToken)
    {
        try
        {
            var services = host.Services;
            await StorageScope.MigrateAsync(services.GetRequiredService<IRunStore>(), database, cancellationToken);
            var launch = await prepare(services, cancellationToken);
            var planner = services.GetRequiredService<RunPlanner>();
            var pass = await CreateRunsAsync(planner, launch, cancellationToken);
            foreach (var planned in pass)
            {
                if (embedded)
                {
                    await DescribeModelsAsync(services, planned, launch.Request, cancellationToken);
                    console.WriteLine($"Run {planned.Run.Name} ({planned.Run.Id}) over {launch.Request.SourceLocation}");
                }
                else
                {
                    console.WriteLine(planned.Run.Id.ToString());
                    console.Error.WriteLine($"{launch.Noun} {planned.Run.Name} ({planned.Run.Id}): planning {launch.ShownSource}");
                }
            }

            if (pass[0].Run.PassId is { } passId)
            {
                console.Error.WriteLine($"pass {passId}: {pass.Count} runs, each image fetched and decoded once for all of them");
            }

            if (!embedded && !launch.Wait)
            {
                var plan = await planner.PlanPassAsync(pass, launch.Source, launch.OnlyNew, cancellationToken);
                foreach (var planned in pass)
                {
                    console.Error.WriteLine(
                        $"{launch.Noun} {planned.Run.Name}: {plan.Images} images in {plan.Shards} shards published{Skipped(plan)}; follow it with: enb status {planned.Run.Id} --watch");
                }

                return ExitCodes.Success;
            }

            var follower = services.GetRequiredService<RunFollower>();
            var outcomes = await new LiveProgress(console, services.GetRequiredService<IRunInsightsReader>()).FollowAsync(
                pass[0].Run.Id,
                progress => follower.PlanAndFollowPassAsync(pass, launch.Source, launch.OnlyNew, ownsRun: embedded, progress, cancellationToken),
                cancellationToken);
            for (var r = 0; r < pass.Count; r++)
            {
                new RunSummaryPrinter(console).Print(pass[r].Run, outcomes[r], database);
            }

            return outcomes.Select(ExitCodes.For).Max();
        }
        catch (ModelSpecException e)
        {
            throw new CliException(e.Message);
        }
        catch (RunPlanningException e)
        {
            throw new CliException(e.Message, ExitCodes.RunFailed);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>One run, the runs of a multi-model pass, or one ensemble teacher run: nothing is created unless every model's spec loads.</summary>
    private static async Task<IReadOnlyList<PlannedRun>> CreateRunsAsync(RunPlanner planner, RunLaunch launch, CancellationToken cancellationToken)
    {
        IReadOnlyList<PassModel> models = [new PassModel(launch.Request, launch.LocalModelPath), .. launch.OtherModels];
        return launch.EnsembleMethod is { } method
            ? [await planner.CreateEnsembleAsync(launch.Request, method, models, cancellationToken)]
            : await planner.CreatePassAsync(models, cancellationToken);
    }

    /// <summary>Embedded mode loads the models here: their execution provider and batch are worth a line, random weights a warning.</summary>
    private async Task DescribeModelsAsync(IServiceProvider services, PlannedRun planned, RunRequest request, CancellationToken cancellationToken)
    {
        foreach (var reference in planned.Ensemble?.Models ?? [planned.Model])
        {
            var model = await services.GetRequiredService<ModelRepository>().GetAsync(reference, cancellationToken);
            CliChecks.Require(request.TopK <= model.Session.NumClasses, $"--topk {request.TopK} is more than the model's {model.Session.NumClasses} classes");
            console.WriteLine($"Model {model.Session.Spec.Name} on {model.Session.ExecutionProvider}, batch {model.Session.Buckets.Max}");
            if (model.Session.Spec.RandomWeights)
            {
                console.WriteWarning($"model {model.Session.Spec.Name} has random weights: its labels are meaningless (use --model with real weights; see README)");
            }
        }
    }

    private static string Skipped(PlanSummary plan) =>
        plan.SkippedAlreadyLabeled > 0 ? $" ({plan.SkippedAlreadyLabeled} already labeled by this model, left out)" : "";
}

/// <summary>
/// One run to launch: the request, the source its keys come from, a readable copy of the model (embedded: the model
/// itself), and how to follow it. <see cref="Noun"/> and <see cref="ShownSource"/> only shape the lines printed.
/// </summary>
public sealed record RunLaunch(
    RunRequest Request, IImageSource Source, string LocalModelPath, bool OnlyNew = false, bool Wait = true, string Noun = "run", string? ShownSourceText = null)
{
    public string ShownSource => ShownSourceText ?? Source.Location;

    /// <summary>The other models of a multi-model pass (<c>--model a --model b</c>): each gets a run of its own, planned with this one.</summary>
    public IReadOnlyList<PassModel> OtherModels { get; init; } = [];

    /// <summary>A pass of local models (embedded mode): the first request leads, the others are <see cref="OtherModels"/>.</summary>
    public static RunLaunch Pass(IReadOnlyList<RunRequest> requests, IImageSource source) =>
        new(requests[0], source, requests[0].ModelPath) { OtherModels = requests.Skip(1).Select(r => new PassModel(r, r.ModelPath)).ToArray() };

    /// <summary>Set for an ensemble teacher: <see cref="OtherModels"/> are more teachers of this one run, combined by this method.</summary>
    public string? EnsembleMethod { get; init; }
}
