namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>An image found near a query, with its cosine similarity (1 = same direction).</summary>
public readonly record struct Neighbour(long ImageId, float Similarity);
