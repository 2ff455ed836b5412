using EfficientNet.Batch.Storage.Embeddings;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>
/// Clustered synthetic embeddings for the index benchmark: vector i is the centre of cluster i % clusters plus an
/// offset, regenerated from (seed, i) on demand, so a million 1280-d vectors never sit in memory at once. Centres are
/// uniform in [0,1) (non-negative like pooled ReLU/SiLU features).
/// <list type="bullet">
/// <item><c>intrinsic = 0</c>: the offset is uniform noise in [0, noise) on every dimension. Within a cluster every
/// pair of vectors is then nearly equally far apart (the distances of 1280 independent coordinates concentrate), so
/// which ten are "nearest" is decided by small differences: the hardest case for a graph index.</item>
/// <item><c>intrinsic = k</c>: the offset lies in a k-dimensional subspace of the cluster (k random directions, k
/// uniform coordinates), with the same per-dimension variance as the noise above, plus 1% of it as noise on every
/// dimension: neighbourhoods of low intrinsic dimension, as learned embeddings have them.</item>
/// </list>
/// </summary>
public sealed class SyntheticEmbeddings
{
    // Clusters share this many subspaces (cluster c uses basis c % Bases): enough variety, 5 MB at k = 16.
    private const int Bases = 64;

    private readonly int _dimensions;
    private readonly float _noise;
    private readonly int _seed;
    private readonly int _intrinsic;
    private readonly float[][] _centres;
    private readonly float[][][] _bases;

    public SyntheticEmbeddings(int count, int dimensions, int clusters, float noise, int seed, int intrinsic = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(intrinsic);
        (Count, _dimensions, _noise, _seed, _intrinsic) = (count, dimensions, noise, seed, intrinsic);
        _centres = Enumerable.Range(0, clusters).Select(c => Uniform(new Random(HashCode.Combine(seed, -1, c)), dimensions, 0f, 1f)).ToArray();
        _bases = intrinsic == 0
            ? []
            : Enumerable.Range(0, Bases)
                .Select(b => Enumerable.Range(0, intrinsic).Select(j => Uniform(new Random(HashCode.Combine(seed, -2, b, j)), dimensions, -1f, 1f)).ToArray())
                .ToArray();
    }

    public int Count { get; }

    public float[] Vector(int i)
    {
        var random = new Random(HashCode.Combine(_seed, i));
        var cluster = i % _centres.Length;
        float[] vector;
        if (_intrinsic == 0)
        {
            vector = Uniform(random, _dimensions, 0f, _noise);
        }
        else
        {
            // Per dimension: var(sum of k terms z_j * b_jd) = k * (1/3) * (1/3) * scale^2, set equal to noise^2 / 12.
            var scale = _noise * MathF.Sqrt(0.75f / _intrinsic);
            vector = Uniform(random, _dimensions, 0f, _noise * 0.1f);
            foreach (var direction in _bases[cluster % Bases])
            {
                var z = ((random.NextSingle() * 2f) - 1f) * scale;
                for (var d = 0; d < _dimensions; d++)
                {
                    vector[d] += z * direction[d];
                }
            }
        }

        var centre = _centres[cluster];
        for (var d = 0; d < _dimensions; d++)
        {
            vector[d] += centre[d];
        }

        return vector;
    }

    public async IAsyncEnumerable<StoredEmbedding> ReadAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return new StoredEmbedding(i, i.ToString(System.Globalization.CultureInfo.InvariantCulture), Vector(i));
            if (i % 4096 == 0)
            {
                await Task.Yield();
            }
        }
    }

    private static float[] Uniform(Random random, int dimensions, float low, float high)
    {
        var vector = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            vector[d] = low + (random.NextSingle() * (high - low));
        }

        return vector;
    }
}
