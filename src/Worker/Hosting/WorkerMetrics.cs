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

    /// <summary>
    /// Where time goes, per stage: fetch and decode (with preprocessing) per image, infer per batch, write per shard
    /// (one transaction). Waiting for a gate (fetch concurrency, decode threads) is not counted.
    /// </summary>
    public static readonly Histogram StageSeconds = Metrics.CreateHistogram(
        "enb_stage_seconds", "Time of one pipeline stage: fetch and decode per image, infer per batch, write per shard.",
        new HistogramConfiguration { LabelNames = ["stage"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });

    // The stages' children, resolved once: fetch and decode are timed per image, so no label lookup on the hot path.
    public static readonly Histogram.Child FetchSeconds = StageSeconds.WithLabels("fetch");
    public static readonly Histogram.Child DecodeSeconds = StageSeconds.WithLabels("decode");
    public static readonly Histogram.Child InferSeconds = StageSeconds.WithLabels("infer");
    public static readonly Histogram.Child WriteSeconds = StageSeconds.WithLabels("write");

    /// <summary>1 for the execution provider each loaded model runs on (CPU after a CUDA fallback shows here).</summary>
    public static readonly Gauge ExecutionProvider = Metrics.CreateGauge(
        "enb_execution_provider", "Execution provider of each loaded model (value 1).", "model", "provider");

    public static readonly Histogram ShardSeconds = Metrics.CreateHistogram(
        "enb_shard_seconds", "Time from taking a shard to committing its results.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.25, 2, 12) });
}
