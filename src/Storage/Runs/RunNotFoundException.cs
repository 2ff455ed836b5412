namespace EfficientNet.Batch.Storage.Runs;

public sealed class RunNotFoundException : Exception
{
    public RunNotFoundException(Guid runId)
        : base($"run {runId} does not exist")
    {
        RunId = runId;
    }

    public Guid RunId { get; }
}
