namespace EfficientNet.Batch.Worker.Inference;

/// <summary>One image's model output: class probabilities (softmax applied unless the model emits probabilities) and its embedding.</summary>
public sealed record ModelOutput(float[] Probabilities, float[]? Embedding);
