using System.ComponentModel.DataAnnotations;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>How models run: execution provider, threads and batching. Section "Inference".</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    public ExecutionProviderPreference ExecutionProvider { get; set; } = ExecutionProviderPreference.Auto;

    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>
    /// ONNX Runtime intra-op threads; 0 = Environment.ProcessorCount. ORT's own default counts host cores and
    /// ignores cgroup CPU limits (ENVIRONMENT.md), so we always set it.
    /// </summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    /// <summary>Largest batch sent to the model. Batches are padded up to a fixed bucket (1, 2, 4, ..., BatchSize).</summary>
    [Range(1, 1024)]
    public int BatchSize { get; set; } = 8;

    /// <summary>How long the batcher waits for more images before running a partial batch.</summary>
    [Range(0, 10_000)]
    public int MaxBatchWaitMilliseconds { get; set; } = 10;

    public int EffectiveIntraOpThreads => IntraOpThreads > 0 ? IntraOpThreads : Environment.ProcessorCount;
}
