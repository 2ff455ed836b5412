using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>label &lt;source&gt;</c>: runs a whole labeling job in this process (embedded mode) and prints a summary. The
/// source is any that submit and pseudo-label teach take: a folder, az://, manifest: or set:.
/// </summary>
public sealed class LabelCommand
{
    public const string DefaultModelRelativePath = "models/test/efficientnet_tiny.onnx";

    private readonly CliConsole _console;
    private readonly Argument<string> _source = new("source") { Description = "A folder (walked recursively), az://<container>/<prefix>, manifest:<file> (.txt, .csv, .jsonl), or set:<name> (a pseudo-label set's images)." };
    private readonly Option<string[]> _model = new("--model") { Description = $"ONNX model with its .json spec beside it; repeat it to label with several models in one pass (each image decoded once, one run per model). Default: the bundled test model ({DefaultModelRelativePath}, random weights)." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<int> _topK = new("--topk") { Description = "Labels kept per image.", DefaultValueFactory = _ => 5 };
    private readonly Option<bool> _embeddings = new("--embeddings") { Description = "Store the pooled embedding per image (default)." };
    private readonly Option<bool> _noEmbeddings = new("--no-embeddings") { Description = "Do not store embeddings." };
    private readonly Option<string> _batchSize = new("--batch-size") { Description = "Largest batch sent to the model, or 'auto' (timed on the device at start).", DefaultValueFactory = _ => "8" };
    private readonly Option<int> _shardSize = new("--shard-size") { Description = "Images per shard (the unit of work and of retry).", DefaultValueFactory = _ => 256 };
    private readonly Option<double> _errorBudget = new("--error-budget") { Description = "Fraction of images allowed to fail (0..1) before the run fails.", DefaultValueFactory = _ => 0.01 };
    private readonly Option<string?> _runName = new("--run-name") { Description = "Name of the run. Default: <source>-<UTC time>." };
    private readonly Option<bool> _onlyNew = new("--only-new") { Description = "Leave out images this model has already labeled (in any run)." };
    private readonly Option<bool> _verbose = CommonOptions.Verbose();

    public LabelCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("label", "Label every image of a source (folder, az://, manifest:, set:), in this process, and store the results in the job database (a SQLite file, or PostgreSQL with --postgres).")
        {
            _source, _model, _database, _postgres, _topK, _embeddings, _noEmbeddings, _batchSize, _shardSize, _errorBudget, _runName, _onlyNew, _verbose,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var modelPaths = (parse.GetValue(_model) is { Length: > 0 } given ? given : [Path.Combine(AppContext.BaseDirectory, DefaultModelRelativePath)])
            .Select(Path.GetFullPath).ToArray();
        var topK = parse.GetValue(_topK);
        var batchSizeText = parse.GetValue(_batchSize)!;
        var shardSize = parse.GetValue(_shardSize);
        var errorBudget = parse.GetValue(_errorBudget);
        if (parse.GetValue(_embeddings) && parse.GetValue(_noEmbeddings))
        {
            throw new CliException("--embeddings and --no-embeddings contradict each other; give one");
        }

        CliChecks.RunOptions(topK, shardSize, errorBudget);
        var batchSize = CliChecks.BatchSize(batchSizeText);
        var source = SourceArgument.Normalize(parse.GetValue(_source)!);
        foreach (var modelPath in modelPaths)
        {
            CliChecks.Require(File.Exists(modelPath), $"model file not found: {modelPath}");
        }

        CliChecks.Require(!parse.GetValue(_onlyNew) || modelPaths.Length == 1, "--only-new works with a single --model (the models of a pass have labeled different images)");

        var database = DatabaseChoice.From(parse, _postgres, _database);
        CliChecks.Require(
            !PseudoLabelSetSource.IsSetSource(source) || database.IsPostgres || File.Exists(database.SqlitePath),
            $"database not found: {database.SqlitePath} ({source} names a set in an existing database: pass its --db)");
        var runName = parse.GetValue(_runName) ?? $"{RunNames.FromSource(source)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";

        return await new RunLauncher(_console).RunHereAsync(
            database,
            batchSize,
            parse.GetValue(_verbose),
            async (services, ct) =>
            {
                var (imageSource, setId) = await TeacherSource.ResolveAsync(services, source, ct);
                var request = new RunRequest(
                    runName, RunKind.Label, "", imageSource.Location, topK, !parse.GetValue(_noEmbeddings), errorBudget, shardSize, SourceSetId: setId);
                return RunLaunch.Pass(PassRequests.For(request, modelPaths), imageSource, parse.GetValue(_onlyNew));
            },
            cancellationToken);
    }
}
