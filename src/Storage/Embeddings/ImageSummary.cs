namespace EfficientNet.Batch.Storage.Embeddings;

/// <summary>What a neighbour list shows of an image: its key, its source location, and the run's top-1 class and probability.</summary>
public sealed record ImageSummary(long ImageId, string Key, string Source, int TopLabel, float TopProbability);
