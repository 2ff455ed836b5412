namespace EfficientNet.Batch.Storage.Embeddings;

/// <summary>
/// Reads the embeddings a run stored (one per successfully labeled image) for the vector index, similar-image search
/// and near-duplicate detection. Reads go through EF Core's mapping of the embedding column only, so they do not
/// depend on how a provider stores it.
/// </summary>
public interface IEmbeddingReader
{
    /// <summary>How many of the run's predictions carry an embedding (0 for a run labeled with --no-embeddings).</summary>
    Task<long> CountAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>The run's embeddings in image id order, one at a time (memory does not grow with the run).</summary>
    IAsyncEnumerable<StoredEmbedding> ReadAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>The embedding of the image with this key in the run; null when the run has no embedding for it.</summary>
    Task<StoredEmbedding?> FindAsync(Guid runId, string key, CancellationToken cancellationToken);

    /// <summary>Key, source and top-1 label of these images in the run (images without a prediction are left out).</summary>
    Task<IReadOnlyDictionary<long, ImageSummary>> DescribeAsync(Guid runId, IReadOnlyCollection<long> imageIds, CancellationToken cancellationToken);
}
