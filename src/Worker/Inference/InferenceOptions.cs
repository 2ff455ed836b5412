using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace EfficientNet.Batch.Worker.Inference;

/// <summary>How models run: execution provider, threads and batching. Section "Inference".</summary>
public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    public ExecutionProviderPreference ExecutionProvider { get; set; } = ExecutionProviderPreference.Auto;

    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>
    /// CUDA devices to use, one ONNX Runtime session (and inference loop) per device, all fed by the node's one
    /// batcher queue. Empty: <see cref="DeviceId"/> alone.
    /// </summary>
    public int[] DeviceIds { get; set; } = [];

    /// <summary>cuDNN convolution algorithm search. Exhaustive tunes each input shape once (batch buckets keep shapes few).</summary>
    [EnumDataType(typeof(CudnnConvAlgoSearch))]
    public CudnnConvAlgoSearch CudnnConvAlgoSearch { get; set; } = CudnnConvAlgoSearch.Exhaustive;

    /// <summary>Let cuDNN use as much workspace as its fastest algorithm wants (ORT's cudnn_conv_use_max_workspace); null = ORT's default.</summary>
    public bool? CudnnConvMaxWorkspace { get; set; }

    /// <summary>CUDA arena limit in bytes (ORT's gpu_mem_limit); 0 = no limit.</summary>
    [Range(0, long.MaxValue)]
    public long GpuMemLimitBytes { get; set; }

    /// <summary>How the CUDA arena grows: NextPowerOfTwo (ORT's default) or SameAsRequested (tighter memory).</summary>
    [EnumDataType(typeof(CudaArenaExtendStrategy))]
    public CudaArenaExtendStrategy ArenaExtendStrategy { get; set; } = CudaArenaExtendStrategy.NextPowerOfTwo;

    /// <summary>
    /// Whether idle ONNX Runtime threads busy-wait for work. Off by default: on a CPU node the decode threads need
    /// those cycles between batches.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// ONNX Runtime intra-op threads; 0 = Environment.ProcessorCount. ORT's own default counts host cores and
    /// ignores cgroup CPU limits (a container limited to 2 cores gets one thread per host core), so we always set it.
    /// </summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Largest batch sent to the model. Batches are padded up to a fixed bucket (1, 2, 4, ..., BatchSize).
    /// 0 = auto: a startup probe times the candidate sizes on the device and picks the best (<see cref="BatchSizeProbe"/>).
    /// </summary>
    [Range(0, 1024)]
    public int BatchSize { get; set; } = 8;

    /// <summary>How long the batcher waits for more images before running a partial batch.</summary>
    [Range(0, 10_000)]
    public int MaxBatchWaitMilliseconds { get; set; } = 10;

    public int EffectiveIntraOpThreads => IntraOpThreads > 0 ? IntraOpThreads : Environment.ProcessorCount;

    /// <summary>The devices that get a session: <see cref="DeviceIds"/>, or <see cref="DeviceId"/> alone; CPU: one session.</summary>
    public IReadOnlyList<int> EffectiveDeviceIds =>
        ExecutionProvider == ExecutionProviderPreference.Cpu || DeviceIds.Length == 0 ? [DeviceId] : DeviceIds.Distinct().ToArray();

    /// <summary>The CUDA provider's options (names as in ORT's CUDA EP documentation) from the Inference section.</summary>
    public Dictionary<string, string> CudaProviderOptions(int deviceId)
    {
        var values = new Dictionary<string, string>
        {
            ["device_id"] = deviceId.ToString(CultureInfo.InvariantCulture),
            ["cudnn_conv_algo_search"] = CudnnConvAlgoSearch.ToString().ToUpperInvariant(),
            ["arena_extend_strategy"] = $"k{ArenaExtendStrategy}",
            // Copies on the compute stream: no implicit synchronisation between copy and compute streams.
            ["do_copy_in_default_stream"] = "1",
        };
        if (GpuMemLimitBytes > 0)
        {
            values["gpu_mem_limit"] = GpuMemLimitBytes.ToString(CultureInfo.InvariantCulture);
        }

        if (CudnnConvMaxWorkspace is { } maxWorkspace)
        {
            values["cudnn_conv_use_max_workspace"] = maxWorkspace ? "1" : "0";
        }

        return values;
    }
}
