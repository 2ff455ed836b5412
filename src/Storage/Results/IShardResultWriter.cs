using EfficientNet.Batch.Results;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Writes a shard's predictions and failures and marks the shard completed, all in one transaction.
/// Idempotent on (run id, image id): a redelivered shard writes nothing twice.
/// </summary>
public interface IShardResultWriter
{
    Task WriteAsync(ShardResult result, CancellationToken cancellationToken);
}
