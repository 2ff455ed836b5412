using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>One neighbour as <c>similar</c> and /api/runs/{run}/similar show it.</summary>
public sealed record SimilarImage(string Key, string Uri, int LabelIndex, string? Label, float Probability, float Similarity);

/// <summary>
/// The neighbours of a query vector in a run: from the run's index when there is one, else by an exact scan of the
/// run's embeddings (one streamed pass); described with each image's key, location and top-1 label.
/// </summary>
public static class SimilarImages
{
    public const int DefaultK = 10;

    public static async Task<IReadOnlyList<SimilarImage>> FindAsync(
        RunEmbeddings embeddings, IndexableRun source, VectorIndex? index, float[] query, int k, long? exclude, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Length != source.Dimensions)
        {
            throw new IndexMismatchException($"dimension mismatch: run {source.Run.Name} stores {source.Dimensions}-d embeddings, the query has {query.Length}");
        }

        var wanted = exclude is null ? k : k + 1;
        var neighbours = index is not null
            ? index.Search(query, wanted)
            : (await ExactNeighbours.SearchAsync([query], wanted, embeddings.Reader.ReadAsync(source.Run.Id, cancellationToken), cancellationToken))[0];
        var kept = neighbours.Where(n => n.ImageId != exclude).Take(k).ToList();
        var described = await embeddings.Reader.DescribeAsync(source.Run.Id, kept.Select(n => n.ImageId).ToList(), cancellationToken);
        var labels = source.Model.Labels;
        return kept
            .Where(n => described.ContainsKey(n.ImageId))
            .Select(n =>
            {
                var image = described[n.ImageId];
                var label = labels is not null && image.TopLabel >= 0 && image.TopLabel < labels.Count ? labels[image.TopLabel] : null;
                return new SimilarImage(image.Key, ImageUri.Of(image.Source, image.Key), image.TopLabel, label, image.TopProbability, n.Similarity);
            })
            .ToList();
    }
}
