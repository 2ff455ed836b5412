using System.CommandLine;
using System.Globalization;
using EfficientNet.Batch.Models;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;
using EfficientNet.Batch.Scheduler.Planning;
using EfficientNet.Batch.Scheduler.Progress;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using EfficientNet.Batch.Worker.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>label &lt;folder&gt;</c>: runs a whole labeling job in this process (embedded mode) and prints a summary.</summary>
public sealed class LabelCommand
{
    public const string DefaultModelRelativePath = "models/test/efficientnet_tiny.onnx";

    private readonly CliConsole _console;
    private readonly Argument<string> _folder = new("folder") { Description = "Folder of images, walked recursively." };
    private readonly Option<string?> _model = new("--model") { Description = $"ONNX model with its .json spec beside it. Default: the bundled test model ({DefaultModelRelativePath}, random weights)." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<int> _topK = new("--topk") { Description = "Labels kept per image.", DefaultValueFactory = _ => 5 };
    private readonly Option<bool> _embeddings = new("--embeddings") { Description = "Store the pooled embedding per image (default)." };
    private readonly Option<bool> _noEmbeddings = new("--no-embeddings") { Description = "Do not store embeddings." };
    private readonly Option<string> _batchSize = new("--batch-size") { Description = "Largest batch sent to the model, or 'auto' (timed on the device at start).", DefaultValueFactory = _ => "8" };
    private readonly Option<int> _shardSize = new("--shard-size") { Description = "Images per shard (the unit of work and of retry).", DefaultValueFactory = _ => 256 };
    private readonly Option<double> _errorBudget = new("--error-budget") { Description = "Fraction of images allowed to fail (0..1) before the run fails.", DefaultValueFactory = _ => 0.01 };
    private readonly Option<string?> _runName = new("--run-name") { Description = "Name of the run. Default: <folder>-<UTC time>." };
    private readonly Option<bool> _verbose = CommonOptions.Verbose();

    public LabelCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("label", "Label every image under a folder, in this process, and store the results in a SQLite file.")
        {
            _folder, _model, _database, _postgres, _topK, _embeddings, _noEmbeddings, _batchSize, _shardSize, _errorBudget, _runName, _verbose,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(parse.GetValue(_folder)!);
        var modelPath = parse.GetValue(_model) ?? Path.Combine(AppContext.BaseDirectory, DefaultModelRelativePath);
        var topK = parse.GetValue(_topK);
        var batchSizeText = parse.GetValue(_batchSize)!;
        var shardSize = parse.GetValue(_shardSize);
        var errorBudget = parse.GetValue(_errorBudget);
        if (parse.GetValue(_embeddings) && parse.GetValue(_noEmbeddings))
        {
            throw new CliException("--embeddings and --no-embeddings contradict each other; give one");
        }

        CliChecks.RunOptions(topK, shardSize, errorBudget);
        var batchSize = batchSizeText.Equals("auto", StringComparison.OrdinalIgnoreCase) ? 0
            : int.TryParse(batchSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= 1024 ? size
            : throw new CliException($"--batch-size must be 'auto' or between 1 and 1024, got '{batchSizeText}'");
        CliChecks.Require(Directory.Exists(folder), $"folder not found: {folder}");
        CliChecks.Require(File.Exists(modelPath), $"model file not found: {modelPath}");

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Inference:BatchSize"] = batchSize.ToString() });
        var database = DatabaseChoice.From(parse, _postgres, _database);
        builder.AddEmbeddedMode(database, parse.GetValue(_verbose));
        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            return await LabelAsync(host.Services, new RunRequest(
                parse.GetValue(_runName) ?? $"{Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar))}-{DateTime.UtcNow:yyyyMMdd-HHmmss}",
                "label",
                Path.GetFullPath(modelPath),
                folder,
                topK,
                !parse.GetValue(_noEmbeddings),
                errorBudget,
                shardSize), database, cancellationToken);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private async Task<int> LabelAsync(IServiceProvider services, RunRequest request, DatabaseChoice database, CancellationToken cancellationToken)
    {
        var runs = services.GetRequiredService<IRunStore>();
        await StorageScope.MigrateAsync(runs, database, cancellationToken);
        var planner = services.GetRequiredService<RunPlanner>();
        PlannedRun planned;
        try
        {
            planned = await planner.CreateAsync(request, request.ModelPath, cancellationToken);
            var model = await services.GetRequiredService<ModelRepository>().GetAsync(planned.Model, cancellationToken);
            CliChecks.Require(request.TopK <= model.Session.NumClasses, $"--topk {request.TopK} is more than the model's {model.Session.NumClasses} classes");
            _console.WriteLine($"Model {model.Session.Spec.Name} on {model.Session.ExecutionProvider}, batch {model.Session.Buckets.Max}");
            if (model.Session.Spec.RandomWeights)
            {
                _console.WriteWarning($"model {model.Session.Spec.Name} has random weights: its labels are meaningless (use --model with real weights; see README)");
            }
        }
        catch (ModelSpecException e)
        {
            throw new CliException(e.Message);
        }

        _console.WriteLine($"Run {planned.Run.Name} ({planned.Run.Id}) over {request.SourceLocation}");
        var progress = new ProgressPrinter(_console);
        using var planningStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var planning = planner.PlanAsync(planned, services.GetRequiredService<IImageSourceFactory>().Create(request.SourceLocation), onlyNew: false, planningStop.Token);
        RunOutcome outcome;
        try
        {
            outcome = await services.GetRequiredService<RunMonitor>().WaitAsync(planned.Run.Id, request.ErrorBudget, planning, progress, cancellationToken);
        }
        catch (Exception e) when (planning.IsFaulted && e is not OperationCanceledException)
        {
            var reason = $"planning failed: {planning.Exception!.GetBaseException().Message}";
            await runs.SetRunStatusAsync(planned.Run.Id, RunStatus.Failed, reason, CancellationToken.None);
            await runs.SkipRemainingShardsAsync(planned.Run.Id, CancellationToken.None);
            throw new CliException(reason, ExitCodes.RunFailed);
        }
        catch (OperationCanceledException)
        {
            await runs.SetRunStatusAsync(planned.Run.Id, RunStatus.Cancelled, "cancelled by the user", CancellationToken.None);
            await runs.SkipRemainingShardsAsync(planned.Run.Id, CancellationToken.None);
            throw;
        }
        finally
        {
            await planningStop.CancelAsync();
            progress.Complete();
        }

        new RunSummaryPrinter(_console).Print(planned.Run, outcome, database);
        return ExitCodes.For(outcome);
    }
}
