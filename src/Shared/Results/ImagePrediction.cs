namespace EfficientNet.Batch.Results;

/// <summary>The labels of one image: top-k class indices with their probabilities (descending), and the embedding if kept.</summary>
public sealed record ImagePrediction(long ImageId, int[] TopIndices, float[] TopProbabilities, float[]? Embedding);
