using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>near-duplicates</c>: groups of a run's images whose embeddings are at least --threshold similar (connected
/// components over the index's neighbour lists), largest first, as JSON lines, with a summary.
/// </summary>
public sealed class NearDuplicatesCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _run = CommonOptions.Run();
    private readonly Option<double> _threshold = new("--threshold") { Description = "Cosine similarity at or above which two images are near-duplicates.", DefaultValueFactory = _ => NearDuplicates.DefaultThreshold };
    private readonly Option<int> _neighbours = new("--neighbours") { Description = "Neighbours looked at per image.", DefaultValueFactory = _ => NearDuplicates.DefaultNeighbours };
    private readonly Option<string?> _out = new("--out") { Description = "JSON lines file of the groups ('-' for stdout); without it only the summary is printed." };
    private readonly Option<string?> _index = EmbeddingOptions.Index();
    private readonly Option<int> _threads = EmbeddingOptions.Threads();

    public NearDuplicatesCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("near-duplicates", "Groups of near-duplicate images of a run (by embedding similarity), largest first.")
        {
            _database, _postgres, _run, _threshold, _neighbours, _out, _index, _threads,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (threshold, neighbours, threads) = (parse.GetValue(_threshold), parse.GetValue(_neighbours), parse.GetValue(_threads));
        CliChecks.Require(threshold is > 0 and <= 1, $"--threshold must be above 0 and at most 1, got {threshold}");
        CliChecks.Require(neighbours is >= 1 and <= 1000, $"--neighbours must be between 1 and 1000, got {neighbours}");
        CliChecks.Require(threads is >= 1 and <= 1024, $"--threads must be between 1 and 1024, got {threads}");

        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var run = await storage.FindRunAsync(parse.GetValue(_run)!, cancellationToken);
        var embeddings = storage.Embeddings;
        var source = await EmbeddingOptions.Checked(() => embeddings.RequireAsync(run, cancellationToken));
        var watch = Stopwatch.StartNew();
        var indexPath = EmbeddingOptions.IndexPath(parse.GetValue(_index), run);
        using var index = await EmbeddingOptions.Checked(() => embeddings.OpenOrBuildAsync(source, indexPath, cancellationToken));
        var report = await NearDuplicates.FindAsync(index, embeddings.Reader.ReadAsync(run.Id, cancellationToken), threshold, neighbours, threads, cancellationToken);

        if (parse.GetValue(_out) is { } outPath)
        {
            await using var stream = outPath == "-" ? Console.OpenStandardOutput() : CreateFile(outPath);
            await using var writer = new StreamWriter(stream);
            foreach (var (group, number) in report.Groups.Select((g, i) => (g, i + 1)))
            {
                var described = await embeddings.Reader.DescribeAsync(run.Id, group.ImageIds.ToList(), cancellationToken);
                var images = group.ImageIds.Where(described.ContainsKey).Select(id => described[id])
                    .Select(i => new { key = i.Key, uri = ImageUri.Of(i.Source, i.Key) }).ToList();
                await writer.WriteLineAsync(JsonSerializer.Serialize(new { group = number, size = images.Count, kept = images[0].key, images }, Json));
            }
        }

        _console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"near-duplicates of run {run.Name} at similarity >= {threshold}: {report.Groups.Count} groups, {report.ImagesInGroups} images in groups, {report.WouldDrop} would be dropped keeping one per group ({report.ImagesScanned} images scanned in {watch.Elapsed.TotalSeconds:F1} s{(indexPath is null ? ", index built in memory" : $", index {indexPath}")})"));
        return ExitCodes.Success;
    }

    private static FileStream CreateFile(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return File.Create(full);
    }
}
