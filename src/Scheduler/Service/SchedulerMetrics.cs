using Prometheus;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>The scheduler service's own Prometheus metrics (served on /metrics beside the process's default ones).</summary>
public static class SchedulerMetrics
{
    public static readonly Gauge QueueMessages = Metrics.CreateGauge(
        "enb_queue_messages", "Messages waiting in a RabbitMQ queue (ready, not yet delivered to a worker).", "queue");

    public static readonly Gauge QueueConsumers = Metrics.CreateGauge(
        "enb_queue_consumers", "Consumers (worker connections) attached to a RabbitMQ queue.", "queue");

    public static readonly Gauge ActiveRuns = Metrics.CreateGauge(
        "enb_runs_active", "Runs in status running.");

    public static readonly Counter ShardsRepublished = Metrics.CreateCounter(
        "enb_shards_republished_total", "Shards the sweeper re-published because their lease expired.");
}
