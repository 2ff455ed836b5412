namespace EfficientNet.Batch.Contracts;

/// <summary>
/// Another run of the same pass over the same images (<c>label --model a --model b</c>): the worker fetches and
/// decodes each image of the shard once and runs it through this member's model too, writing this member's results
/// under its own run and shard. Its items are the carrying message's items (the same images, the same ids).
/// </summary>
public sealed record PassMember(Guid RunId, long ShardId, ModelReference Model, ShardOptions Options);
