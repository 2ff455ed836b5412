namespace EfficientNet.Batch.Worker.Consumers;

/// <summary>How this process names itself in shard rows and logs: host name and process id.</summary>
public sealed class WorkerIdentity
{
    public string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}
