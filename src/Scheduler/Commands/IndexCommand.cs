using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>index build</c>: an approximate nearest-neighbour index (USearch HNSW, cosine) over a run's embeddings, streamed
/// from the database, saved with its manifest (run, model, dimension, metric) to a file or an az:// blob.
/// </summary>
public sealed class IndexCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string> _run = CommonOptions.Run();
    private readonly Option<string?> _out = new("--out") { Description = $"Index file, or az://container/path to upload it (with FILE.json beside it). Default: ./{EmbeddingOptions.DefaultIndexFolder}/<run name>.usearch" };
    private readonly Option<string> _precision = new("--precision") { Description = "How vectors are stored: f32, f16 (half the memory) or i8.", DefaultValueFactory = _ => "f16" };
    private readonly Option<int> _connectivity = new("--connectivity") { Description = "Graph degree (HNSW M): more raises recall, memory and build time.", DefaultValueFactory = _ => VectorIndex.DefaultConnectivity };
    private readonly Option<int> _expansion = new("--expansion") { Description = "Candidates kept per insert (efConstruction): more raises recall and build time.", DefaultValueFactory = _ => VectorIndex.DefaultExpansionAdd };
    private readonly Option<int> _expansionSearch = new("--expansion-search") { Description = "Candidates kept per query (ef), recorded in the index's manifest: more raises recall and query time; no rebuild needed to change it.", DefaultValueFactory = _ => VectorIndex.DefaultExpansionSearch };
    private readonly Option<int> _threads = EmbeddingOptions.Threads();

    public IndexCommand(CliConsole console)
    {
        _console = console;
        _precision.AcceptOnlyFromAmong("f32", "f16", "i8");
        var build = new Command("build", "Build a vector index (cosine) over a run's embeddings.")
        {
            _database, _postgres, _run, _out, _precision, _connectivity, _expansion, _expansionSearch, _threads,
        };
        build.SetAction((parse, ct) => BuildAsync(parse, ct));
        Command = new Command("index", "Vector indexes over runs' embeddings (for similar and near-duplicates).") { build };
    }

    public Command Command { get; }

    private async Task<int> BuildAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (connectivity, expansion, expansionSearch, threads) = (parse.GetValue(_connectivity), parse.GetValue(_expansion), parse.GetValue(_expansionSearch), parse.GetValue(_threads));
        CliChecks.Require(connectivity is >= 2 and <= 256, $"--connectivity must be between 2 and 256, got {connectivity}");
        CliChecks.Require(expansion is >= 1 and <= 4096, $"--expansion must be between 1 and 4096, got {expansion}");
        CliChecks.Require(expansionSearch is >= 1 and <= 4096, $"--expansion-search must be between 1 and 4096, got {expansionSearch}");
        CliChecks.Require(threads is >= 1 and <= 1024, $"--threads must be between 1 and 1024, got {threads}");
        var target = parse.GetValue(_out);
        var upload = target is not null && target.StartsWith(BlobLocation.UriPrefix, StringComparison.OrdinalIgnoreCase);
        BlobAccount? blobs = null;
        var blob = (Container: "", BlobName: "");
        if (upload)
        {
            try
            {
                blob = BlobLocation.ParseBlobUri(target!);
            }
            catch (FormatException e)
            {
                throw new CliException(e.Message);
            }

            blobs = new BlobAccount(CliConfiguration.ConnectionString(BlobAccount.ConnectionName), new ImageStoreOptions());
            CliChecks.Require(blobs.IsConfigured, $"--out {target} needs the storage account in {BlobAccount.ConfigurationKey} (ConnectionStrings__Blob)");
        }

        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var run = await storage.FindRunAsync(parse.GetValue(_run)!, cancellationToken);
        var source = await EmbeddingOptions.Checked(() => storage.Embeddings.RequireAsync(run, cancellationToken));
        var path = upload
            ? Path.Combine(Path.GetTempPath(), $"enb-index-{Guid.NewGuid():N}.usearch")
            : Path.GetFullPath(target ?? RunEmbeddings.DefaultPath(EmbeddingOptions.DefaultIndexFolder, run));

        var watch = Stopwatch.StartNew();
        using (var index = await EmbeddingOptions.Checked(() => storage.Embeddings.BuildAsync(
            source, IndexPrecisions.Parse(parse.GetValue(_precision)!), connectivity, expansion, expansionSearch, threads, cancellationToken)))
        {
            index.Save(path);
            _console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"indexed {index.Count} embeddings ({source.Dimensions}-d, cosine, {index.Manifest.Precision}) of run {run.Name} in {watch.Elapsed.TotalSeconds:F1} s"));
        }

        if (!upload)
        {
            _console.WriteLine($"  index: {path} (manifest {IndexManifest.PathFor(path)})");
            return ExitCodes.Success;
        }

        try
        {
            var container = blobs!.Container(blob.Container);
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

            // A block blob becomes visible only when its block list commits: a failed upload leaves nothing behind.
            await container.GetBlobClient(IndexManifest.PathFor(blob.BlobName)).UploadAsync(IndexManifest.PathFor(path), overwrite: true, cancellationToken);
            await container.GetBlobClient(blob.BlobName).UploadAsync(path, overwrite: true, cancellationToken);
            _console.WriteLine($"  index: {target} (manifest {IndexManifest.PathFor(target!)})");
        }
        finally
        {
            File.Delete(path);
            File.Delete(IndexManifest.PathFor(path));
        }

        return ExitCodes.Success;
    }
}
