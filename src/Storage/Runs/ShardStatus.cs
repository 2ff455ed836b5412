namespace EfficientNet.Batch.Storage.Runs;

public enum ShardStatus
{
    Pending,
    Running,
    Completed,
    /// <summary>Not processed because its run was cancelled or exceeded its error budget.</summary>
    Skipped,
}
