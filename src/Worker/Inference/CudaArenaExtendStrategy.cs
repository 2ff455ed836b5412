namespace EfficientNet.Batch.Worker.Inference;

/// <summary>ORT's arena_extend_strategy values (without their "k" prefix).</summary>
public enum CudaArenaExtendStrategy
{
    NextPowerOfTwo,
    SameAsRequested,
}
