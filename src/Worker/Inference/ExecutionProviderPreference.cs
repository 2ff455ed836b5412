namespace EfficientNet.Batch.Worker.Inference;

public enum ExecutionProviderPreference
{
    /// <summary>CUDA when its libraries load, otherwise CPU (logged once).</summary>
    Auto,
    Cpu,
    /// <summary>CUDA or fail: for GPU nodes where a silent CPU fallback would be a misconfiguration.</summary>
    Cuda,
}
