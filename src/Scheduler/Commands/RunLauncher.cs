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
            var planned = await services.GetRequiredService<RunPlanner>().CreateAsync(launch.Request, launch.LocalModelPath, cancellationToken);
            if (embedded)
            {
                await DescribeModelAsync(services, planned, launch.Request, cancellationToken);
                console.WriteLine($"Run {planned.Run.Name} ({planned.Run.Id}) over {launch.Request.SourceLocation}");
            }
            else
            {
                console.WriteLine(planned.Run.Id.ToString());
                console.Error.WriteLine($"{launch.Noun} {planned.Run.Name} ({planned.Run.Id}): planning {launch.ShownSource}");
            }

            if (!embedded && !launch.Wait)
            {
                var plan = await services.GetRequiredService<RunPlanner>().PlanAsync(planned, launch.Source, launch.OnlyNew, cancellationToken);
                console.Error.WriteLine(
                    $"{launch.Noun} {planned.Run.Name}: {plan.Images} images in {plan.Shards} shards published{Skipped(plan)}; follow it with: enb status {planned.Run.Id} --watch");
                return ExitCodes.Success;
            }

            var follower = services.GetRequiredService<RunFollower>();
            var outcome = await new LiveProgress(console, services.GetRequiredService<IRunInsightsReader>()).FollowAsync(
                planned.Run.Id,
                progress => follower.PlanAndFollowAsync(planned, launch.Source, launch.OnlyNew, ownsRun: embedded, progress, cancellationToken),
                cancellationToken);
            new RunSummaryPrinter(console).Print(planned.Run, outcome, database);
            return ExitCodes.For(outcome);
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

    /// <summary>Embedded mode loads the model here: its execution provider and batch are worth a line, random weights a warning.</summary>
    private async Task DescribeModelAsync(IServiceProvider services, PlannedRun planned, RunRequest request, CancellationToken cancellationToken)
    {
        var model = await services.GetRequiredService<ModelRepository>().GetAsync(planned.Model, cancellationToken);
        CliChecks.Require(request.TopK <= model.Session.NumClasses, $"--topk {request.TopK} is more than the model's {model.Session.NumClasses} classes");
        console.WriteLine($"Model {model.Session.Spec.Name} on {model.Session.ExecutionProvider}, batch {model.Session.Buckets.Max}");
        if (model.Session.Spec.RandomWeights)
        {
            console.WriteWarning($"model {model.Session.Spec.Name} has random weights: its labels are meaningless (use --model with real weights; see README)");
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
}
