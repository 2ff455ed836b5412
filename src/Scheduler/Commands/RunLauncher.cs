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
/// The one flow of <c>label</c>, <c>submit</c>, <c>pseudo-label teach</c>, <c>resume</c> and embedded <c>retry-failed</c>: start the host, create the run (or a multi-model pass's runs), plan it
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
            var shape = await services.GetRequiredService<RunPlanner>().DescribeAsync(run, cancellationToken);
            await DescribeModelsAsync(services, shape.Ensemble?.Models ?? [shape.Model], run.TopK, cancellationToken);
            console.WriteLine(continued.Description);
            return await FollowAsync(services, database, [run], continued.Work, embedded: true, continued.AlreadyDone, cancellationToken);
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

            var planner = services.GetRequiredService<RunPlanner>();
            var pass = await CreateRunsAsync(planner, launch, cancellationToken);
            var ownership = embedded ? pass.Select(planned => RunLock.Acquire(database, planned.Run)).ToArray() : [];
            try
            {
                foreach (var planned in pass)
                {
                    if (embedded)
                    {
                        await DescribeModelsAsync(services, planned.Ensemble?.Models ?? [planned.Model], launch.Request.TopK, cancellationToken);
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

                return await FollowAsync(
                    services, database, pass.Select(p => p.Run).ToArray(), ct => planner.PlanPassAsync(pass, launch.Source, launch.OnlyNew, ct), embedded, alreadyDone: 0, cancellationToken);
            }
            finally
            {
                foreach (var held in ownership)
                {
                    held.Dispose();
                }
            }
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
    /// Plans (or publishes) with <paramref name="plan"/>, follows the runs (one, or a multi-model pass's) to their end
    /// with live progress of the first, prints each summary; the exit code is the worst of theirs.
    /// </summary>
    private async Task<int> FollowAsync(
        IServiceProvider services, DatabaseChoice database, RunInfo[] pass, Func<CancellationToken, Task<PlanSummary>> plan, bool embedded,
        long alreadyDone, CancellationToken cancellationToken)
    {
        var follower = services.GetRequiredService<RunFollower>();
        var run = pass[0];
        try
        {
            var outcomes = await new LiveProgress(console, services.GetRequiredService<IRunInsightsReader>()).FollowAsync(
                run.Id, progress => follower.FollowAsync(pass, plan, ownsRun: embedded, progress, cancellationToken), cancellationToken);
            for (var r = 0; r < pass.Length; r++)
            {
                new RunSummaryPrinter(console).Print(pass[r], outcomes[r], database, alreadyDone);
            }

            return outcomes.Select(ExitCodes.For).Max();
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

    /// <summary>One run, the runs of a multi-model pass, or one ensemble teacher run: nothing is created unless every model's spec loads.</summary>
    private static async Task<IReadOnlyList<PlannedRun>> CreateRunsAsync(RunPlanner planner, RunLaunch launch, CancellationToken cancellationToken)
    {
        IReadOnlyList<PassModel> models = [new PassModel(launch.Request, launch.LocalModelPath), .. launch.OtherModels];
        return launch.EnsembleMethod is { } method
            ? [await planner.CreateEnsembleAsync(launch.Request, method, models, cancellationToken)]
            : await planner.CreatePassAsync(models, cancellationToken);
    }

    /// <summary>Embedded mode loads the models here: their execution provider and batch are worth a line, random weights a warning.</summary>
    private async Task DescribeModelsAsync(IServiceProvider services, IReadOnlyList<ModelReference> references, int topK, CancellationToken cancellationToken)
    {
        foreach (var reference in references)
        {
            var model = await services.GetRequiredService<ModelRepository>().GetAsync(reference, cancellationToken);
            CliChecks.Require(topK <= model.Session.NumClasses, $"--topk {topK} is more than the model's {model.Session.NumClasses} classes");
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

    /// <summary>The other models of a multi-model pass (<c>--model a --model b</c>): each gets a run of its own, planned with this one.</summary>
    public IReadOnlyList<PassModel> OtherModels { get; init; } = [];

    /// <summary>A pass of local models (embedded mode): the first request leads, the others are <see cref="OtherModels"/>.</summary>
    public static RunLaunch Pass(IReadOnlyList<RunRequest> requests, IImageSource source, bool onlyNew = false) =>
        new(requests[0], source, requests[0].ModelPath, onlyNew) { OtherModels = requests.Skip(1).Select(r => new PassModel(r, r.ModelPath)).ToArray() };

    /// <summary>Set for an ensemble teacher: <see cref="OtherModels"/> are more teachers of this one run, combined by this method.</summary>
    public string? EnsembleMethod { get; init; }
}
