using EfficientNet.Batch.Results;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>A shard result may only carry images of its own shard (a worker bug, or a message for another shard).</summary>
internal static class ShardMembership
{
    public static void Ensure(ShardResult result, long[] shardImages)
    {
        var members = shardImages.ToHashSet();
        var strangers = result.Predictions.Select(p => p.ImageId)
            .Concat(result.Failures.Select(f => f.ImageId))
            .Where(id => !members.Contains(id))
            .Take(5)
            .ToList();
        if (strangers.Count > 0)
        {
            throw new ArgumentException(
                $"results for images that are not in shard {result.ShardId} of run {result.RunId}: {string.Join(", ", strangers)}",
                nameof(result));
        }
    }
}
