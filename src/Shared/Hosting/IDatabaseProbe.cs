namespace EfficientNet.Batch.Hosting;

/// <summary>A cheap query that succeeds only while the job database answers (the storage registers it).</summary>
public interface IDatabaseProbe
{
    Task ProbeAsync(CancellationToken cancellationToken);
}
