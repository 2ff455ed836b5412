using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Hosting;
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
/// The one flow of <c>label</c>, <c>submit</c>, <c>pseudo-label teach</c>, <c>resume</c> and embedded <c>retry-failed</c>: start the host, create the run, plan it
/// and follow it to its end (<see cref="RunFollower"/>), print the summary. Embedded mode runs the shards in this
/// process and owns the run; distributed mode publishes them and, without --wait, returns once they are published.
/// </summary>
public sealed class RunLauncher(CliConsole console)
{
    /// <summary>What to run, decided once the database is open: the run request, its image source, and a readable copy of the model.</summary>
    public delegate Task<RunLaunch> PrepareRun(IServiceProvider services, CancellationToken cancellationToken);

    /// <summary>How to go on with an existing run, given its row and counts: a <see cref="CliException"/> refuses it.</summary>
    public delegate Task<ContinuedRun> ContinueRun(IServiceProvider services, RunInfo run, RunProgress progress, CancellationToken cancellationToken);

    /// <summary>Embedded mode: scheduler and worker in this process; the run is followed to its end.</summary>
    public async Task<int> RunHereAsync(DatabaseChoice database, int batchSize, bool verbose, PrepareRun prepare, CancellationToken cancellationToken)
    {
        using var host = await StartHereAsync(database, batchSize, verbose, cancellationToken);
        return await LaunchAsync(host, database, prepare, embedded: true, cancellationToken);
    }

    /// <summary>
    /// Embedded mode, an existing run (<c>resume</c>, <c>retry-failed</c>): <paramref name="prepare"/> refuses it with a
    /// <see cref="CliException"/> (before anything is written) or says what to publish; the run is then followed to
    /// its end in this process, which holds the run's <see cref="RunLock"/> meanwhile.
    /// </summary>
    public async Task<int> ContinueHereAsync(
        DatabaseChoice database, int batchSize, bool verbose, string runName, ContinueRun prepare, CancellationToken cancellationToken)
    {
        CliChecks.Require(database.IsPostgres || File.Exists(database.SqlitePath), $"database not found: {database.SqlitePath} (pass the --db the run was made with)");
        using var host = await StartHereAsync(database, batchSize, verbose, cancellationToken);
        using var interrupt = Interruptible(host, cancellationToken);
        cancellationToken = interrupt.Token;
        try
        {
            var services = host.Services;
            var runs = services.GetRequiredService<IRunStore>();
            await StorageScope.MigrateAsync(runs, database, cancellationToken);
            var run = await runs.FindRunAsync(runName, cancellationToken)
                ?? throw new CliException($"no run matches '{runName}' in {database} (see 'runs')");
            using var ownership = RunLock.Acquire(database, run);
            var continued = await prepare(services, run, await runs.GetProgressAsync(run.Id, cancellationToken), cancellationToken);
            var (model, _) = await services.GetRequiredService<RunPlanner>().DescribeAsync(run, cancellationToken);
            await DescribeModelAsync(services, model, run.TopK, cancellationToken);
            console.WriteLine(continued.Description);
            return await FollowAsync(services, database, run, continued.Work, embedded: true, continued.AlreadyDone, cancellationToken);
        }
        catch (ModelSpecException e)
        {
            throw new CliException(e.Message);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The host's console lifetime takes Ctrl+C and SIGTERM (and keeps the process alive) to stop the application,
    /// which nothing here waits for: its stopping token joins the command's, so an interruption reaches the run.
    /// </summary>
    private static CancellationTokenSource Interruptible(IHost host, CancellationToken cancellationToken) =>
        CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);

    private static async Task<IHost> StartHereAsync(DatabaseChoice database, int batchSize, bool verbose, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Inference:BatchSize"] = batchSize.ToString() });
        builder.AddEmbeddedMode(database, verbose);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Distributed mode: the shards are published to the workers.</summary>
    public async Task<int> SubmitAsync(DatabaseChoice database, bool verbose, PrepareRun prepare, CancellationToken cancellationToken)
    {
        using var host = await SchedulerHost.StartAsync(database, verbose, cancellationToken);
        return await LaunchAsync(host, database, prepare, embedded: false, cancellationToken);
    }

    private async Task<int> LaunchAsync(IHost host, DatabaseChoice database, PrepareRun prepare, bool embedded, CancellationToken cancellationToken)
    {
        using var interrupt = Interruptible(host, cancellationToken);
        cancellationToken = interrupt.Token;
        try
        {
            var services = host.Services;
            // A new SQLite file is created only once the source has been read: a bad source leaves nothing behind.
            var databaseExists = database.IsPostgres || File.Exists(database.SqlitePath);
            if (databaseExists)
            {
                await StorageScope.MigrateAsync(services.GetRequiredService<IRunStore>(), database, cancellationToken);
            }

            var launch = await PrepareAsync(services, prepare, cancellationToken);
            await SourceArgument.CheckReadableAsync(launch.Source, cancellationToken);
            if (!databaseExists)
            {
                await StorageScope.MigrateAsync(services.GetRequiredService<IRunStore>(), database, cancellationToken);
            }

            var planned = await services.GetRequiredService<RunPlanner>().CreateAsync(launch.Request, launch.LocalModelPath, cancellationToken);
            using var ownership = embedded ? RunLock.Acquire(database, planned.Run) : null;
            if (embedded)
            {
                await DescribeModelAsync(services, planned.Model, launch.Request.TopK, cancellationToken);
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

            var planner = services.GetRequiredService<RunPlanner>();
            return await FollowAsync(
                services, database, planned.Run, ct => planner.PlanAsync(planned, launch.Source, launch.OnlyNew, ct), embedded, alreadyDone: 0, cancellationToken);
        }
        catch (ModelSpecException e)
        {
            throw new CliException(e.Message);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Plans (or publishes) with <paramref name="plan"/>, follows the run to its end with live progress, prints the summary.</summary>
    private async Task<int> FollowAsync(
        IServiceProvider services, DatabaseChoice database, RunInfo run, Func<CancellationToken, Task<PlanSummary>> plan, bool embedded, long alreadyDone,
        CancellationToken cancellationToken)
    {
        var follower = services.GetRequiredService<RunFollower>();
        try
        {
            var outcome = await new LiveProgress(console, services.GetRequiredService<IRunInsightsReader>()).FollowAsync(
                run.Id, progress => follower.FollowAsync(run, plan, ownsRun: embedded, progress, cancellationToken), cancellationToken);
            new RunSummaryPrinter(console).Print(run, outcome, database, alreadyDone);
            return ExitCodes.For(outcome);
        }
        catch (RunPlanningException e)
        {
            throw new CliException(e.Message, ExitCodes.RunFailed);
        }
        catch (OperationCanceledException) when (embedded && cancellationToken.IsCancellationRequested)
        {
            var where = database.IsPostgres ? "" : $" --db {database.SqlitePath}";
            console.Error.WriteLine($"run {run.Name} interrupted; continue it with: enb resume {run.Id}{where}");
            throw;
        }
    }

    /// <summary>Resolving the source parses its location and may need the blob account: a bad one is one line, exit 3, before any run is written.</summary>
    private static async Task<RunLaunch> PrepareAsync(IServiceProvider services, PrepareRun prepare, CancellationToken cancellationToken)
    {
        try
        {
            return await prepare(services, cancellationToken);
        }
        catch (Exception e) when (e is NotSupportedException or FormatException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw new CliException(SecretRedactor.Redact(e.Message));
        }
    }

    /// <summary>Embedded mode loads the model here: its execution provider and batch are worth a line, random weights a warning.</summary>
    private async Task DescribeModelAsync(IServiceProvider services, ModelReference reference, int topK, CancellationToken cancellationToken)
    {
        var model = await services.GetRequiredService<ModelRepository>().GetAsync(reference, cancellationToken);
        CliChecks.Require(topK <= model.Session.NumClasses, $"--topk {topK} is more than the model's {model.Session.NumClasses} classes");
        console.WriteLine($"Model {model.Session.Spec.Name} on {model.Session.ExecutionProvider}, batch {model.Session.Buckets.Max}");
        if (model.Session.Spec.RandomWeights)
        {
            console.WriteWarning($"model {model.Session.Spec.Name} has random weights: its labels are meaningless (use --model with real weights; see README)");
        }
    }

    private static string Skipped(PlanSummary plan) =>
        plan.SkippedAlreadyLabeled > 0 ? $" ({plan.SkippedAlreadyLabeled} already labeled by this model, left out)" : "";
}

/// <summary>An existing run to go on with: the line that says what happens, the images already done, and what to publish.</summary>
public sealed record ContinuedRun(string Description, long AlreadyDone, Func<CancellationToken, Task<PlanSummary>> Work);

/// <summary>
/// One run to launch: the request, the source its keys come from, a readable copy of the model (embedded: the model
/// itself), and how to follow it. <see cref="Noun"/> and <see cref="ShownSource"/> only shape the lines printed.
/// </summary>
public sealed record RunLaunch(
    RunRequest Request, IImageSource Source, string LocalModelPath, bool OnlyNew = false, bool Wait = true, string Noun = "run", string? ShownSourceText = null)
{
    public string ShownSource => ShownSourceText ?? Source.Location;
}
