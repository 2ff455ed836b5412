using System.CommandLine;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>pseudo-label teach &lt;source&gt;</c>: a teacher pass, a run of kind "teacher" keeping top-k soft labels (default
/// 10) or, with --full, the whole distribution as float16 too. The teacher sees its own spec's preprocessing (its
/// resolution, resize and crop) and no augmentation: the noise of Noisy Student belongs to the student. Runs in this
/// process (like label), or with --distributed publishes shards to the workers (like submit).
/// </summary>
public sealed class PseudoLabelTeachCommand
{
    private readonly CliConsole _console;
    private readonly Argument<string> _source = new("source") { Description = "A folder, az://<container>/<prefix>, manifest:<file>, or set:<name> (a previous set's images)." };
    private readonly Option<string[]> _model = new("--model") { Description = $"The teacher: an ONNX model with its .json spec beside it; repeat it for an ensemble teacher (models sharing one label space). Default (embedded only): the bundled test model ({LabelCommand.DefaultModelRelativePath})." };
    private readonly Option<string?> _ensemble = new("--ensemble") { Description = $"With several --model: how their probabilities are combined, '{EnsembleMethod.Mean}' (arithmetic mean, the default) or '{EnsembleMethod.Geometric}' (geometric mean, renormalised)." };
    private readonly Option<string?> _sha256 = new("--sha256") { Description = "Expected SHA-256 of the model file (--distributed); computed from the file when omitted." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<int> _topK = new("--topk") { Description = "Soft labels kept per image (top-k classes with probabilities).", DefaultValueFactory = _ => 10 };
    private readonly Option<bool> _full = new("--full") { Description = "Also keep the full class distribution (float16, 2 bytes per class): exact soft labels and temperature." };
    private readonly Option<string> _batchSize = new("--batch-size") { Description = "Largest batch sent to the model (embedded), or 'auto'.", DefaultValueFactory = _ => "8" };
    private readonly Option<int> _shardSize = new("--shard-size") { Description = "Images per shard.", DefaultValueFactory = _ => 256 };
    private readonly Option<double> _errorBudget = new("--error-budget") { Description = "Fraction of images allowed to fail (0..1).", DefaultValueFactory = _ => 0.01 };
    private readonly Option<string?> _runName = new("--run-name") { Description = "Name of the teacher run. Default: teacher-<source>-<UTC time>." };
    private readonly Option<bool> _distributed = new("--distributed") { Description = "Publish the shards to the workers (PostgreSQL + RabbitMQ) instead of running them here." };
    private readonly Option<bool> _wait = new("--wait") { Description = "With --distributed: follow the run until it ends." };
    private readonly Option<bool> _verbose = CommonOptions.Verbose();

    public PseudoLabelTeachCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("teach", "Run a teacher over a corpus (or a previous set's images) and keep soft labels per image.")
        {
            _source, _model, _ensemble, _sha256, _database, _postgres, _topK, _full, _batchSize, _shardSize, _errorBudget, _runName, _distributed, _wait, _verbose,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (topK, shardSize, errorBudget) = (parse.GetValue(_topK), parse.GetValue(_shardSize), parse.GetValue(_errorBudget));
        CliChecks.RunOptions(topK, shardSize, errorBudget);
        CliChecks.BatchSize(parse.GetValue(_batchSize)!);
        CliChecks.Require(!parse.GetValue(_wait) || parse.GetValue(_distributed), "--wait follows a --distributed teacher pass; an embedded one always runs to the end");
        var models = parse.GetValue(_model) ?? [];
        var ensemble = parse.GetValue(_ensemble);
        CliChecks.Require(ensemble is null || EnsembleMethod.IsKnown(ensemble), $"--ensemble must be '{EnsembleMethod.Mean}' or '{EnsembleMethod.Geometric}', got '{ensemble}'");
        CliChecks.Require(ensemble is null || models.Length > 1, "--ensemble combines several teachers: give --model at least twice");
        CliChecks.Require(parse.GetValue(_sha256) is null || models.Length <= 1, "--sha256 checks one model; give it with a single --model");
        var database = DatabaseChoice.From(parse, _postgres, _database);
        return parse.GetValue(_distributed) ? SubmitAsync(parse, database, cancellationToken) : RunHereAsync(parse, database, cancellationToken);
    }

    private Task<int> RunHereAsync(ParseResult parse, DatabaseChoice database, CancellationToken cancellationToken)
    {
        var modelPaths = (parse.GetValue(_model) is { Length: > 0 } given ? given : [Path.Combine(AppContext.BaseDirectory, LabelCommand.DefaultModelRelativePath)])
            .Select(Path.GetFullPath).ToArray();
        foreach (var modelPath in modelPaths)
        {
            CliChecks.Require(File.Exists(modelPath), $"model file not found: {modelPath}");
        }

        var source = SourceArgument.Normalize(parse.GetValue(_source)!);
        return new RunLauncher(_console).RunHereAsync(
            database,
            CliChecks.BatchSize(parse.GetValue(_batchSize)!),
            parse.GetValue(_verbose),
            async (services, ct) =>
            {
                var (imageSource, setId) = await TeacherSource.ResolveAsync(services, source, ct);
                return Teachers(parse, modelPaths.Select(p => (p, p)).ToArray(), source, imageSource, setId, new RunLaunch(
                    Request(parse, modelPaths[0], source, imageSource.Location, setId), imageSource, modelPaths[0]));
            },
            cancellationToken);
    }

    private Task<int> SubmitAsync(ParseResult parse, DatabaseChoice database, CancellationToken cancellationToken)
    {
        var modelUris = parse.GetValue(_model) is { Length: > 0 } given ? given : throw new CliException("--model is required with --distributed: a path or az:// URI every worker can read");
        var source = parse.GetValue(_source)!;
        return new RunLauncher(_console).SubmitAsync(
            database,
            parse.GetValue(_verbose),
            async (services, ct) =>
            {
                var teachers = new List<(string Uri, string Local)>();
                foreach (var uri in modelUris)
                {
                    teachers.Add((uri, await services.GetRequiredService<ModelFileCache>().GetAsync(uri, parse.GetValue(_sha256), ct)));
                }

                var (imageSource, setId) = await TeacherSource.ResolveAsync(services, source, ct);
                var request = Request(parse, modelUris[0], source, imageSource.Location, setId);
                return Teachers(parse, teachers, source, imageSource, setId, new RunLaunch(
                    request, imageSource, teachers[0].Local, Wait: parse.GetValue(_wait), Noun: "teacher run", ShownSourceText: source));
            },
            cancellationToken);
    }

    /// <summary>Several teachers make one ensemble teacher run (the first teacher's request names it).</summary>
    private RunLaunch Teachers(
        ParseResult parse, IReadOnlyList<(string Uri, string Local)> teachers, string source, IImageSource imageSource, long? setId, RunLaunch first) =>
        teachers.Count == 1 ? first : first with
        {
            OtherModels = teachers.Skip(1).Select(t => new PassModel(Request(parse, t.Uri, source, imageSource.Location, setId), t.Local)).ToArray(),
            EnsembleMethod = parse.GetValue(_ensemble) ?? EnsembleMethod.Mean,
        };

    private RunRequest Request(ParseResult parse, string modelPath, string source, string location, long? setId) => new(
        parse.GetValue(_runName) ?? $"teacher-{RunNames.FromSource(source)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}",
        RunKind.Teacher,
        modelPath,
        location,
        parse.GetValue(_topK),
        StoreEmbeddings: false,
        parse.GetValue(_errorBudget),
        parse.GetValue(_shardSize),
        parse.GetValue(_full),
        setId);
}
