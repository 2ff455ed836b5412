using EfficientNet.Batch.Models;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Progress;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using EfficientNet.Batch.Worker.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Scheduler.Embedded;

/// <summary>
/// Runs one whole job in this process (embedded mode): starts the host, migrates, creates and plans the run, follows
/// it with a progress line and prints the summary. <c>label</c> and <c>pseudo-label teach</c> differ only in the run
/// they ask for and where its images come from.
/// </summary>
public sealed class EmbeddedRunner(CliConsole console)
{
    /// <summary>What to run, decided once the database is open: the run request and its image source.</summary>
    public delegate Task<(RunRequest Request, IImageSource Source)> PrepareRun(IServiceProvider services, CancellationToken cancellationToken);

    public async Task<int> RunAsync(DatabaseChoice database, int batchSize, bool verbose, PrepareRun prepare, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Inference:BatchSize"] = batchSize.ToString() });
        builder.AddEmbeddedMode(database, verbose);
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            var runs = host.Services.GetRequiredService<IRunStore>();
            await StorageScope.MigrateAsync(runs, database, cancellationToken);
            var (request, source) = await prepare(host.Services, cancellationToken);
            return await RunAsync(host.Services, request, source, database, cancellationToken);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private async Task<int> RunAsync(IServiceProvider services, RunRequest request, IImageSource source, DatabaseChoice database, CancellationToken cancellationToken)
    {
        var planner = services.GetRequiredService<RunPlanner>();
        PlannedRun planned;
        try
        {
            planned = await planner.CreateAsync(request, request.ModelPath, cancellationToken);
            var model = await services.GetRequiredService<ModelRepository>().GetAsync(planned.Model, cancellationToken);
            CliChecks.Require(request.TopK <= model.Session.NumClasses, $"--topk {request.TopK} is more than the model's {model.Session.NumClasses} classes");
            console.WriteLine($"Model {model.Session.Spec.Name} on {model.Session.ExecutionProvider}, batch {model.Session.Buckets.Max}");
            if (model.Session.Spec.RandomWeights)
            {
                console.WriteWarning($"model {model.Session.Spec.Name} has random weights: its labels are meaningless (use --model with real weights; see README)");
            }
        }
        catch (ModelSpecException e)
        {
            throw new CliException(e.Message);
        }

        console.WriteLine($"Run {planned.Run.Name} ({planned.Run.Id}) over {request.SourceLocation}");
        var live = new LiveProgress(console, services.GetRequiredService<IRunInsightsReader>());
        RunOutcome outcome;
        try
        {
            var follower = services.GetRequiredService<RunFollower>();
            outcome = await live.FollowAsync(
                planned.Run.Id, progress => follower.PlanAndFollowAsync(planned, source, onlyNew: false, ownsRun: true, progress, cancellationToken), cancellationToken);
        }
        catch (RunPlanningException e)
        {
            throw new CliException(e.Message, ExitCodes.RunFailed);
        }

        new RunSummaryPrinter(console).Print(planned.Run, outcome, database);
        return ExitCodes.For(outcome);
    }
}
