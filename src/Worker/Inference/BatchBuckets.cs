namespace EfficientNet.Batch.Worker.Inference;

/// <summary>
/// Fixed batch shapes: 1, 2, 4, ... up to the maximum (and the maximum itself). A partial batch is padded to the
/// next bucket so that cuDNN/TensorRT tune each shape once instead of per tail size (docs/architecture.md, Decisions).
/// </summary>
public sealed class BatchBuckets
{
    private readonly int[] _sizes;

    public BatchBuckets(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var sizes = new List<int>();
        for (var size = 1; size < maxBatch; size *= 2)
        {
            sizes.Add(size);
        }

        sizes.Add(maxBatch);
        _sizes = sizes.ToArray();
    }

    public IReadOnlyList<int> Sizes => _sizes;

    public int Max => _sizes[^1];

    /// <summary>The smallest bucket that holds <paramref name="count"/> images.</summary>
    public int BucketFor(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Max);
        foreach (var size in _sizes)
        {
            if (size >= count)
            {
                return size;
            }
        }

        return Max;
    }
}
