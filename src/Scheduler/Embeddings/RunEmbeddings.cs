using EfficientNet.Batch.Storage.Embeddings;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>A run whose embeddings can be indexed: the run, its model, how many embeddings it stored and their dimension.</summary>
public sealed record IndexableRun(RunInfo Run, ModelInfo Model, long Count, int Dimensions);

/// <summary>
/// The steps every embedding feature shares (CLI commands, the JSON API, the pseudo-label filters): check that a run
/// stored embeddings, build its index from the database, or open the saved one and check it belongs to the run's model.
/// </summary>
public sealed class RunEmbeddings(IRunQueries runs, IEmbeddingReader embeddings)
{
    public IEmbeddingReader Reader => embeddings;

    /// <summary>The run with its model, embedding count and dimension; <see cref="EmbeddingsUnavailableException"/> when it stored none.</summary>
    public async Task<IndexableRun> RequireAsync(RunInfo run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var model = await runs.GetModelAsync(run.ModelId, cancellationToken)
            ?? throw new EmbeddingsUnavailableException($"run {run.Name} has no registered model");
        var count = await embeddings.CountAsync(run.Id, cancellationToken);
        if (count == 0)
        {
            throw new EmbeddingsUnavailableException(run.StoreEmbeddings
                ? $"run {run.Name} has no embeddings yet (no image labeled successfully)"
                : $"run {run.Name} has no embeddings: it was labeled with --no-embeddings");
        }

        var dimensions = 0;
        await foreach (var first in embeddings.ReadAsync(run.Id, cancellationToken))
        {
            dimensions = first.Vector.Length;
            break;
        }

        return new IndexableRun(run, model, count, dimensions);
    }

    /// <summary>An index of the run's embeddings built in memory (streamed from the database).</summary>
    public async Task<VectorIndex> BuildAsync(
        IndexableRun source, IndexPrecision precision, int connectivity, int expansionAdd, int expansionSearch, int threads, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var manifest = new IndexManifest(
            IndexManifest.CurrentFormat, source.Run.Id, source.Run.Name, source.Model.Name, source.Model.Sha256, source.Dimensions,
            IndexManifest.CosineMetric, precision.Text(), source.Count, connectivity, expansionAdd, expansionSearch,
            DateTimeOffset.UtcNow);
        return await VectorIndex.BuildAsync(manifest, precision, embeddings.ReadAsync(source.Run.Id, cancellationToken), threads, cancellationToken);
    }

    /// <summary>The index saved at <paramref name="path"/>, checked to belong to this run's model and dimension.</summary>
    public static VectorIndex OpenFor(IndexableRun source, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        var index = VectorIndex.Open(path);
        try
        {
            index.Manifest.EnsureServes(source.Model.Sha256, source.Dimensions);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>The saved index if there is one at <paramref name="path"/>, else one built in memory with the default settings.</summary>
    public async Task<VectorIndex> OpenOrBuildAsync(IndexableRun source, string? path, CancellationToken cancellationToken) =>
        path is not null && File.Exists(path)
            ? OpenFor(source, path)
            : await BuildAsync(source, IndexPrecision.F16, VectorIndex.DefaultConnectivity, VectorIndex.DefaultExpansionAdd, VectorIndex.DefaultExpansionSearch, Environment.ProcessorCount, cancellationToken);

    /// <summary>Where <c>index build</c> puts a run's index by default, and where <c>similar</c>, <c>near-duplicates</c> and <c>serve</c> look for it.</summary>
    public static string DefaultPath(string folder, RunInfo run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var name = string.Concat(run.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return Path.Combine(folder, name + ".usearch");
    }
}
