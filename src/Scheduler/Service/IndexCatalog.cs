using System.Collections.Concurrent;
using EfficientNet.Batch.Scheduler.Embeddings;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>
/// The service's view of index files: a run's index is <c>&lt;folder&gt;/&lt;run name&gt;.usearch</c> (where
/// <c>index build</c> puts it by default), opened once and kept (memory-mapped) until the file changes; near-duplicate
/// summaries are cached per run and threshold. Runs without an index file are answered by exact scans, and their
/// near-duplicates only up to <see cref="MaxImagesWithoutIndex"/> images.
/// </summary>
public sealed class IndexCatalog(string folder) : IDisposable
{
    public const int MaxImagesWithoutIndex = 50_000;

    private readonly ConcurrentDictionary<string, (DateTime Written, VectorIndex Index)> _open = new();
    private readonly ConcurrentDictionary<(Guid, double), Task<NearDuplicateReport>> _reports = new();
    private readonly Lock _gate = new();

    public string Folder { get; } = folder;

    /// <summary>The run's saved index (checked against its model and dimension), or null when there is no file.</summary>
    public VectorIndex? Find(IndexableRun source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = RunEmbeddings.DefaultPath(Folder, source.Run);
        if (!File.Exists(path))
        {
            return null;
        }

        var written = File.GetLastWriteTimeUtc(path);
        lock (_gate)
        {
            if (_open.TryGetValue(path, out var cached) && cached.Written == written)
            {
                return cached.Index;
            }

            // A rebuilt file replaces the cached view; the old one stays open for searches still using it (rare, small).
            var index = RunEmbeddings.OpenFor(source, path);
            _open[path] = (written, index);
            return index;
        }
    }

    /// <summary>The run's near-duplicate groups at this threshold, computed once per run and threshold.</summary>
    public Task<NearDuplicateReport> NearDuplicatesAsync(RunEmbeddings embeddings, IndexableRun source, double threshold)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(source);
        var report = _reports.GetOrAdd((source.Run.Id, threshold), _ => ComputeAsync(embeddings, source, threshold));
        if (report.IsFaulted || report.IsCanceled)
        {
            _reports.TryRemove((source.Run.Id, threshold), out _);
        }

        return report;
    }

    private async Task<NearDuplicateReport> ComputeAsync(RunEmbeddings embeddings, IndexableRun source, double threshold)
    {
        // Not a request's token: the result is shared by every request for this run and threshold.
        var saved = Find(source);
        if (saved is null && source.Count > MaxImagesWithoutIndex)
        {
            throw new EmbeddingsUnavailableException(
                $"run {source.Run.Name} has {source.Count} embeddings and no index in {Folder}: build one with 'enb index build --run {source.Run.Name}'");
        }

        using var built = saved is null ? await embeddings.OpenOrBuildAsync(source, null, CancellationToken.None) : null;
        return await NearDuplicates.FindAsync(
            saved ?? built!, embeddings.Reader.ReadAsync(source.Run.Id, CancellationToken.None), threshold, NearDuplicates.DefaultNeighbours,
            Environment.ProcessorCount, CancellationToken.None);
    }

    public void Dispose()
    {
        foreach (var (_, index) in _open.Values)
        {
            index.Dispose();
        }
    }
}
