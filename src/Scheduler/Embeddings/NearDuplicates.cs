using EfficientNet.Batch.Storage.Embeddings;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>A group of near-duplicate images, smallest image id first (the one a de-duplication keeps).</summary>
public sealed record NearDuplicateGroup(IReadOnlyList<long> ImageIds);

/// <summary>Near-duplicate groups, largest first, and what keeping one image per group would drop.</summary>
public sealed record NearDuplicateReport(double Threshold, long ImagesScanned, IReadOnlyList<NearDuplicateGroup> Groups)
{
    public long ImagesInGroups => Groups.Sum(g => (long)g.ImageIds.Count);

    /// <summary>Images dropped when one per group is kept.</summary>
    public long WouldDrop => ImagesInGroups - Groups.Count;

    /// <summary>Every image of a group but its first (the ids a de-duplication leaves out).</summary>
    public IEnumerable<long> Dropped => Groups.SelectMany(g => g.ImageIds.Skip(1));
}

/// <summary>
/// Near-duplicates as connected components over the index's neighbour lists: each image's nearest neighbours whose
/// cosine similarity reaches the threshold are joined to it (union-find), so A~B and B~C make one group {A, B, C}.
/// Memory: one entry per image that has a near neighbour, not per image scanned.
/// </summary>
public static class NearDuplicates
{
    /// <summary>Neighbours looked at per image: groups larger than this are still joined through their members' lists.</summary>
    public const int DefaultNeighbours = 10;

    public const double DefaultThreshold = 0.95;

    public static async Task<NearDuplicateReport> FindAsync(
        VectorIndex index,
        IAsyncEnumerable<StoredEmbedding> embeddings,
        double threshold,
        int neighbours,
        int threads,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        var parents = new Dictionary<long, long>();
        var gate = new Lock();
        var scanned = await FanOut.RunAsync(
            embeddings,
            threads,
            e =>
            {
                var near = index.Search(e.Vector, neighbours + 1).Where(n => n.ImageId != e.ImageId && n.Similarity >= threshold).ToList();
                if (near.Count > 0)
                {
                    lock (gate)
                    {
                        near.ForEach(n => Union(parents, e.ImageId, n.ImageId));
                    }
                }
            },
            cancellationToken);
        return new NearDuplicateReport(threshold, scanned, Groups(parents));
    }

    /// <summary>The components of the union-find forest, members ascending, largest group first (then by first id).</summary>
    public static IReadOnlyList<NearDuplicateGroup> Groups(Dictionary<long, long> parents)
    {
        ArgumentNullException.ThrowIfNull(parents);
        return parents.Keys.ToList()
            .GroupBy(id => Find(parents, id))
            .Select(g => new NearDuplicateGroup(g.Order().ToList()))
            .Where(g => g.ImageIds.Count > 1)
            .OrderByDescending(g => g.ImageIds.Count)
            .ThenBy(g => g.ImageIds[0])
            .ToList();
    }

    public static void Union(Dictionary<long, long> parents, long a, long b)
    {
        ArgumentNullException.ThrowIfNull(parents);
        var (ra, rb) = (Find(parents, a), Find(parents, b));
        if (ra != rb)
        {
            // The smaller id becomes the root: deterministic whatever order the searches finish in.
            parents[Math.Max(ra, rb)] = Math.Min(ra, rb);
        }
    }

    private static long Find(Dictionary<long, long> parents, long id)
    {
        if (!parents.TryGetValue(id, out var parent))
        {
            parents[id] = id;
            return id;
        }

        var root = id;
        while (parent != root)
        {
            root = parent;
            parent = parents[root];
        }

        // Path compression: point every node on the way straight at the root.
        while (id != root)
        {
            var next = parents[id];
            parents[id] = root;
            id = next;
        }

        return root;
    }
}
