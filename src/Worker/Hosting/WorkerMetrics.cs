using Prometheus;

namespace EfficientNet.Batch.Worker.Hosting;

/// <summary>The worker's Prometheus metrics, served on /metrics by the worker process (and by `serve`).</summary>
public static class WorkerMetrics
{
    public static readonly Counter Images = Metrics.CreateCounter(
        "enb_images_total", "Images whose result was committed, by status (ok, failed) and failure stage.", "status", "stage");

    public static readonly Counter Shards = Metrics.CreateCounter(
        "enb_shards_total", "Shards taken off the queue, by outcome (completed; skipped: already done or run ended before it began; stopped: run ended while it ran).", "outcome");

    public static readonly Gauge ShardsInFlight = Metrics.CreateGauge(
        "enb_shards_in_flight", "Shards this worker is processing now.");

    public static readonly Histogram BatchSize = Metrics.CreateHistogram(
        "enb_batch_size", "Images per model run (before padding to the bucket).",
        new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    public static readonly Histogram InferenceSeconds = Metrics.CreateHistogram(
        "enb_inference_seconds", "Time of one model run, by execution provider.",
        new HistogramConfiguration { LabelNames = ["provider"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });

    public static readonly Histogram ShardSeconds = Metrics.CreateHistogram(
        "enb_shard_seconds", "Time from taking a shard to committing its results.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.25, 2, 12) });
}
