using System.ComponentModel.DataAnnotations;

namespace EfficientNet.Batch.Worker.Pipeline;

/// <summary>Concurrency and memory bounds of a worker node. Section "Pipeline".</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Shards processed at once by this node (also the broker prefetch).</summary>
    [Range(1, 256)]
    public int ShardConcurrency { get; set; } = 2;

    /// <summary>Images of one shard between fetch and result at once; bounds memory to about this many tensors per shard.</summary>
    [Range(1, 4096)]
    public int ImagesInFlightPerShard { get; set; } = 32;

    /// <summary>Node-wide decode + preprocess threads; 0 = Environment.ProcessorCount (which honours cgroup CPU limits).</summary>
    [Range(0, 256)]
    public int DecodeParallelism { get; set; }

    /// <summary>Node-wide concurrent image reads (I/O bound, so higher than the CPU count).</summary>
    [Range(1, 1024)]
    public int FetchConcurrency { get; set; } = 16;

    /// <summary>Files larger than this fail at the fetch stage without being read.</summary>
    [Range(1, long.MaxValue)]
    public long MaxImageBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How often a worker renews the lease of each shard it is processing. The scheduler's sweeper re-publishes a
    /// shard whose lease is older than Scheduler:ShardLeaseSeconds, so that must be several times this. It is also how
    /// soon a shard in progress stops once its run is cancelled or fails, hence short: one single-row UPDATE per shard
    /// in flight per interval.
    /// </summary>
    [Range(1, 3600)]
    public int LeaseRenewalSeconds { get; set; } = 5;

    public int EffectiveDecodeParallelism => DecodeParallelism > 0 ? DecodeParallelism : Environment.ProcessorCount;
}
