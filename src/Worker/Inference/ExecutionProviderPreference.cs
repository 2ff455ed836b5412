namespace EfficientNet.Batch.Worker.Inference;

public enum ExecutionProviderPreference
{
    /// <summary>CUDA when a session opens on it, otherwise CPU (the reason logged once).</summary>
    Auto,
    Cpu,
    /// <summary>CUDA or fail: for GPU nodes where a silent CPU fallback would be a misconfiguration.</summary>
    Cuda,
}
