namespace EfficientNet.Batch.Storage.Embeddings;

/// <summary>One image's pooled embedding in a run, with the image's id (the vector index's key) and its key in the source.</summary>
public sealed record StoredEmbedding(long ImageId, string Key, float[] Vector);
