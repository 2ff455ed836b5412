using System.CommandLine;
using System.Globalization;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Worker.Preprocessing;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>similar</c>: the nearest images of a run to one of its images (<c>--key</c>) or to a new file (<c>--image</c>,
/// embedded by the run's own model and preprocessing), by the run's index or, without one, an exact scan.
/// </summary>
public sealed class SimilarCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _run = CommonOptions.Run();
    private readonly Option<string?> _key = new("--key") { Description = "A stored image of the run, by its key." };
    private readonly Option<string?> _image = new("--image") { Description = "A new image file, embedded through the run's model first." };
    private readonly Option<int> _k = new("--k") { Description = "How many neighbours.", DefaultValueFactory = _ => SimilarImages.DefaultK };
    private readonly Option<string?> _index = EmbeddingOptions.Index();

    public SimilarCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("similar", "The images of a run most similar to a stored image (--key) or a new file (--image).")
        {
            _database, _postgres, _run, _key, _image, _k, _index,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (key, image, k) = (parse.GetValue(_key), parse.GetValue(_image), parse.GetValue(_k));
        CliChecks.Require(key is null != (image is null), "give exactly one of --key KEY or --image FILE");
        CliChecks.Require(k is >= 1 and <= 1000, $"--k must be between 1 and 1000, got {k}");
        CliChecks.Require(image is null || File.Exists(image), $"image file not found: {image}");

        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var run = await storage.FindRunAsync(parse.GetValue(_run)!, cancellationToken);
        var embeddings = storage.Embeddings;
        var source = await EmbeddingOptions.Checked(() => embeddings.RequireAsync(run, cancellationToken));
        var indexPath = EmbeddingOptions.IndexPath(parse.GetValue(_index), run);
        using var index = indexPath is null ? null : await EmbeddingOptions.Checked(() => Task.FromResult(RunEmbeddings.OpenFor(source, indexPath)));

        float[] query;
        long? self = null;
        if (key is not null)
        {
            var stored = await embeddings.Reader.FindAsync(run.Id, key, cancellationToken)
                ?? throw new CliException($"run {run.Name} has no embedding for key '{key}'");
            (query, self) = (stored.Vector, stored.ImageId);
        }
        else
        {
            try
            {
                query = QueryEmbedder.Embed(source.Model, await File.ReadAllBytesAsync(image!, cancellationToken), new PreprocessingOptions());
            }
            catch (ImageRejectedException e)
            {
                throw new CliException($"query image {image} cannot be used: {e.Reason}");
            }
            catch (IndexMismatchException e)
            {
                throw new CliException(e.Message);
            }
        }

        var found = await EmbeddingOptions.Checked(() => SimilarImages.FindAsync(embeddings, source, index, query, k, self, cancellationToken));
        _console.WriteLine($"{"similarity",10}  {"label",-24}  key  uri");
        foreach (var n in found)
        {
            _console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n.Similarity,10:F4}  {n.Label ?? n.LabelIndex.ToString(CultureInfo.InvariantCulture),-24}  {n.Key}  {n.Uri}"));
        }

        _console.Error.WriteLine(index is null
            ? $"{found.Count} neighbours by exact scan of run {run.Name} (build an index with 'enb index build --run {run.Name}' for large runs)"
            : $"{found.Count} neighbours from index {indexPath}");
        return ExitCodes.Success;
    }
}
