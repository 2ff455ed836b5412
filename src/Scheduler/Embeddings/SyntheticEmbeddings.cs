using EfficientNet.Batch.Storage.Embeddings;

namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>
/// Clustered synthetic embeddings for the index benchmark: vector i is the centre of cluster i % clusters plus
/// uniform noise, regenerated from (seed, i) on demand, so a million 1280-d vectors never sit in memory at once.
/// Non-negative like pooled ReLU/SiLU features.
/// </summary>
public sealed class SyntheticEmbeddings(int count, int dimensions, int clusters, float noise, int seed)
{
    private readonly float[][] _centres = Enumerable.Range(0, clusters).Select(c => Uniform(new Random(HashCode.Combine(seed, -1, c)), dimensions, 1f)).ToArray();

    public int Count => count;

    public float[] Vector(int i)
    {
        var random = new Random(HashCode.Combine(seed, i));
        var vector = Uniform(random, dimensions, noise);
        var centre = _centres[i % clusters];
        for (var d = 0; d < dimensions; d++)
        {
            vector[d] += centre[d];
        }

        return vector;
    }

    public async IAsyncEnumerable<StoredEmbedding> ReadAsync()
    {
        for (var i = 0; i < count; i++)
        {
            yield return new StoredEmbedding(i, i.ToString(System.Globalization.CultureInfo.InvariantCulture), Vector(i));
            if (i % 4096 == 0)
            {
                await Task.Yield();
            }
        }
    }

    private static float[] Uniform(Random random, int dimensions, float scale)
    {
        var vector = new float[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            vector[d] = random.NextSingle() * scale;
        }

        return vector;
    }
}
