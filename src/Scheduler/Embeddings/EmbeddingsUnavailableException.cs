namespace EfficientNet.Batch.Scheduler.Embeddings;

/// <summary>A run that stored no embeddings (labeled with --no-embeddings, or nothing succeeded yet): nothing to index or search.</summary>
public sealed class EmbeddingsUnavailableException(string message) : Exception(message);
