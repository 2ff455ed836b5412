using System.CommandLine;
using System.Diagnostics;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Scheduler.PseudoLabels;
using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>pseudo-label select</c>: the Noisy-Student selection over a teacher run, in the database, recorded as a named
/// set with its parameters, seed, per-class thresholds and counts, and lineage.
/// </summary>
public sealed class PseudoLabelSelectCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _run = new("--run") { Description = "The teacher run: its id, its name or 'latest'.", Required = true };
    private readonly Option<long> _perClass = new("--per-class") { Description = "Samples wanted per class (130000 in the paper's ImageNet setting).", Required = true };
    private readonly Option<double> _minConfidence = new("--min-confidence") { Description = "The floor of the threshold scan (0..1).", DefaultValueFactory = _ => 0.3 };
    private readonly Option<string> _mode = new("--mode") { Description = "hard (argmax label) or soft (the teacher's distribution, re-sharpened by --temperature).", DefaultValueFactory = _ => "hard" };
    private readonly Option<double> _temperature = new("--temperature") { Description = "Soft labels become p^(1/T) / sum p^(1/T); 1 keeps them as they are.", DefaultValueFactory = _ => 1.0 };
    private readonly Option<long> _seed = new("--seed") { Description = "Seed of the stochastic rounding; the same seed gives the same set.", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _name = new("--name") { Description = "Name of the new set (unique).", Required = true };
    private readonly Option<string?> _excludeNear = new("--exclude-near") { Description = "run:<name>: leave out every image at least --similarity close to an image of that run (e.g. the evaluation set labeled as its own run)." };
    private readonly Option<double> _similarity = new("--similarity") { Description = "Cosine similarity at or above which --exclude-near counts an image as a near-copy.", DefaultValueFactory = _ => NearDuplicates.DefaultThreshold };
    private readonly Option<double?> _dedup = new("--dedup") { Description = "Keep one image per near-duplicate group of the teacher run at this cosine similarity (e.g. 0.95)." };
    private readonly Option<string?> _index = EmbeddingOptions.Index();
    private readonly Option<string?> _parent = new("--parent") { Description = "The set this generation descends from. Default: the set the teacher pass read (set:<name>), else none (generation 1)." };

    public PseudoLabelSelectCommand(CliConsole console)
    {
        _console = console;
        _mode.AcceptOnlyFromAmong("hard", "soft");
        Command = new Command("select", "Select a balanced pseudo-labeled set from a teacher run (per-class thresholds, duplication, sampling down).")
        {
            _database, _postgres, _run, _perClass, _minConfidence, _mode, _temperature, _seed, _name, _parent, _excludeNear, _similarity, _dedup, _index,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (perClass, minConfidence, temperature) = (parse.GetValue(_perClass), parse.GetValue(_minConfidence), parse.GetValue(_temperature));
        CliChecks.Require(perClass >= 1, $"--per-class must be at least 1, got {perClass}");
        CliChecks.Require(minConfidence is >= 0 and <= 1, $"--min-confidence must be between 0 and 1, got {minConfidence}");
        CliChecks.Require(double.IsFinite(temperature) && temperature > 0, $"--temperature must be greater than 0, got {temperature}");
        CliChecks.Require(parse.GetValue(_seed) >= 0, $"--seed must be 0 or more, got {parse.GetValue(_seed)}");

        var (excludeNear, similarity, dedup) = (parse.GetValue(_excludeNear), parse.GetValue(_similarity), parse.GetValue(_dedup));
        CliChecks.Require(excludeNear is null || (excludeNear.StartsWith("run:", StringComparison.Ordinal) && excludeNear.Length > 4), $"--exclude-near must be run:<name>, got '{excludeNear}'");
        CliChecks.Require(similarity is > 0 and <= 1, $"--similarity must be above 0 and at most 1, got {similarity}");
        CliChecks.Require(dedup is null or (> 0 and <= 1), $"--dedup must be above 0 and at most 1, got {dedup}");

        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var run = await storage.FindRunAsync(parse.GetValue(_run)!, cancellationToken);
        var reference = excludeNear is null ? null : await storage.FindRunAsync(excludeNear[4..], cancellationToken);
        var filterWatch = Stopwatch.StartNew();
        var exclusions = await EmbeddingOptions.Checked(() => new EmbeddingExclusions(storage.Embeddings, Environment.ProcessorCount)
            .DecideAsync(run, reference, similarity, dedup, dedup is null ? null : EmbeddingOptions.IndexPath(parse.GetValue(_index), run), cancellationToken));
        if (exclusions != SelectionExclusions.None)
        {
            _console.Error.WriteLine($"embedding filters decided in {filterWatch.Elapsed.TotalSeconds:F1} s");
        }

        long? parentId = parse.GetValue(_parent) is { } parentName
            ? (await storage.FindSetAsync(parentName, cancellationToken)).Id
            : run.SourceSetId;

        var request = new SelectionRequest(
            run.Id,
            parse.GetValue(_name)!,
            perClass,
            minConfidence,
            parse.GetValue(_mode) == "soft" ? PseudoLabelMode.Soft : PseudoLabelMode.Hard,
            temperature,
            parse.GetValue(_seed),
            parentId) { Exclusions = exclusions };
        if (request.Mode == PseudoLabelMode.Hard && temperature != 1.0)
        {
            _console.WriteWarning("--temperature changes soft labels only; this set is --mode hard");
        }

        var watch = Stopwatch.StartNew();
        PseudoLabelSetInfo set;
        try
        {
            set = await storage.PseudoLabels.SelectAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is ArgumentException or PseudoLabelSetExistsException)
        {
            throw new CliException(e.Message);
        }

        var classes = await storage.PseudoLabels.GetClassesAsync(set.Id, cancellationToken);
        new PseudoLabelSetPrinter(_console).Print(set, classes);
        _console.WriteLine($"  selected in {watch.Elapsed.TotalSeconds:F1} s; export with: enb pseudo-label export --set {set.Name} --format jsonl --out {set.Name}.jsonl");
        return ExitCodes.Success;
    }
}
