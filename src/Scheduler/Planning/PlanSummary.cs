namespace EfficientNet.Batch.Scheduler.Planning;

public sealed record PlanSummary(long Images, int Shards);
