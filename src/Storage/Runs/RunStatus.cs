namespace EfficientNet.Batch.Storage.Runs;

public enum RunStatus
{
    Planning,
    Running,
    Completed,
    /// <summary>More images failed than the run's error budget allows.</summary>
    Failed,
    Cancelled,
}
