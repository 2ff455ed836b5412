using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>submit &lt;source&gt;</c> (distributed mode): plans a run into PostgreSQL, publishes its shards to RabbitMQ for
/// the workers, prints the run id; <c>--wait</c> follows it to the end.
/// </summary>
public sealed class SubmitCommand
{
    private readonly CliConsole _console;
    private readonly Argument<string> _source = new("source") { Description = "A folder, az://<container>/<prefix>, or manifest:<file> (.txt, .csv, .jsonl)." };
    private readonly Option<string[]> _model = new("--model") { Description = "Model URI the workers load: a path they can read, or az://<container>/<path>.onnx (spec and labels beside it). Repeat it for a multi-model pass: one run per model, each image decoded once.", Required = true };
    private readonly Option<string?> _sha256 = new("--sha256") { Description = "Expected SHA-256 of the model file (one --model only); computed from the file when omitted." };
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<int> _topK = new("--topk") { Description = "Labels kept per image.", DefaultValueFactory = _ => 5 };
    private readonly Option<bool> _noEmbeddings = new("--no-embeddings") { Description = "Do not store embeddings." };
    private readonly Option<int> _shardSize = new("--shard-size") { Description = "Images per shard.", DefaultValueFactory = _ => 256 };
    private readonly Option<double> _errorBudget = new("--error-budget") { Description = "Fraction of images allowed to fail (0..1).", DefaultValueFactory = _ => 0.01 };
    private readonly Option<string?> _runName = new("--run-name") { Description = "Name of the run. Default: <source>-<UTC time>." };
    private readonly Option<bool> _onlyNew = new("--only-new") { Description = "Leave out images this model has already labeled (in any run)." };
    private readonly Option<bool> _wait = new("--wait") { Description = "Follow the run's progress until it ends; the exit code then tells how it ended." };
    private readonly Option<bool> _verbose = CommonOptions.Verbose();

    public SubmitCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("submit", "Plan a run and publish its shards to the workers (distributed mode: PostgreSQL + RabbitMQ).")
        {
            _source, _model, _sha256, _database, _postgres, _topK, _noEmbeddings, _shardSize, _errorBudget, _runName, _onlyNew, _wait, _verbose,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var source = parse.GetValue(_source)!;
        var modelUris = parse.GetValue(_model)!;
        CliChecks.Require(parse.GetValue(_sha256) is null || modelUris.Length == 1, "--sha256 checks one model; give it with a single --model");
        CliChecks.Require(!parse.GetValue(_onlyNew) || modelUris.Length == 1, "--only-new works with a single --model (the models of a pass have labeled different images)");
        var (topK, shardSize, errorBudget) = (parse.GetValue(_topK), parse.GetValue(_shardSize), parse.GetValue(_errorBudget));
        CliChecks.RunOptions(topK, shardSize, errorBudget);
        var database = DatabaseChoice.From(parse, _postgres, _database);

        return await new RunLauncher(_console).SubmitAsync(
            database,
            parse.GetValue(_verbose),
            async (services, ct) =>
            {
                var imageSource = services.GetRequiredService<IImageSourceFactory>().Create(source);
                var template = new RunRequest(
                    parse.GetValue(_runName) ?? $"{RunNames.FromSource(source)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}",
                    RunKind.Label, "", imageSource.Location, topK, !parse.GetValue(_noEmbeddings), errorBudget, shardSize);
                var models = new List<PassModel>();
                foreach (var request in PassRequests.For(template, modelUris))
                {
                    models.Add(new PassModel(request, await services.GetRequiredService<ModelFileCache>().GetAsync(request.ModelPath, parse.GetValue(_sha256), ct)));
                }

                return new RunLaunch(models[0].Request, imageSource, models[0].LocalModelPath, parse.GetValue(_onlyNew), parse.GetValue(_wait)) { OtherModels = models.Skip(1).ToArray() };
            },
            cancellationToken);
    }
}
