namespace EfficientNet.Batch.Results;

/// <summary>
/// The labels of one image: top-k class indices with their probabilities (descending), the embedding if kept, and
/// the whole class distribution if the run keeps it (teacher passes with --full).
/// </summary>
public sealed record ImagePrediction(long ImageId, int[] TopIndices, float[] TopProbabilities, float[]? Embedding, float[]? FullProbabilities = null);
