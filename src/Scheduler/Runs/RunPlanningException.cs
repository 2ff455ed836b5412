namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>Planning a run failed (the source could not be read or written to the database); the run has been failed with this reason.</summary>
public sealed class RunPlanningException(string reason, Exception inner) : Exception(reason, inner);
