namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>An index that cannot answer this query: another model, another dimension, or no readable manifest.</summary>
public sealed class IndexMismatchException(string message) : Exception(message);
