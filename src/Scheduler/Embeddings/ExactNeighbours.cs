using System.Numerics.Tensors;
using EfficientNet.Batch.Storage.Embeddings;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>
/// Exact cosine search by one pass over a stream of embeddings, keeping the best k (memory: k per query). Answers
/// <c>similar</c> for a run without an index file, and is the ground truth the benchmark measures recall against.
/// </summary>
public static class ExactNeighbours
{
    public static async Task<IReadOnlyList<Neighbour>[]> SearchAsync(
        IReadOnlyList<float[]> queries, int k, IAsyncEnumerable<StoredEmbedding> embeddings, CancellationToken cancellationToken)
    {
        var best = queries.Select(_ => new PriorityQueue<Neighbour, float>(k + 1)).ToArray();
        await foreach (var e in embeddings.WithCancellation(cancellationToken))
        {
            for (var q = 0; q < queries.Count; q++)
            {
                if (e.Vector.Length != queries[q].Length)
                {
                    throw new IndexMismatchException($"dimension mismatch: image {e.Key} has a {e.Vector.Length}-d embedding, the query has {queries[q].Length}");
                }

                Offer(best[q], new Neighbour(e.ImageId, TensorPrimitives.CosineSimilarity(queries[q], e.Vector)), k);
            }
        }

        return best.Select(Sorted).ToArray();
    }

    /// <summary>Keeps the k most similar seen so far (a min-heap on similarity).</summary>
    public static void Offer(PriorityQueue<Neighbour, float> best, Neighbour candidate, int k)
    {
        if (best.Count < k)
        {
            best.Enqueue(candidate, candidate.Similarity);
        }
        else if (best.TryPeek(out _, out var worst) && candidate.Similarity > worst)
        {
            best.DequeueEnqueue(candidate, candidate.Similarity);
        }
    }

    public static IReadOnlyList<Neighbour> Sorted(PriorityQueue<Neighbour, float> best) =>
        best.UnorderedItems.Select(i => i.Element).OrderByDescending(n => n.Similarity).ThenBy(n => n.ImageId).ToList();
}
