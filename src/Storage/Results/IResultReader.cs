namespace EfficientNet.Batch.Storage.Results;

/// <summary>Streams a run's results, one row per image of the run, ordered by key; constant memory.</summary>
public interface IResultReader
{
    IAsyncEnumerable<ExportRow> ReadAsync(Guid runId, CancellationToken cancellationToken);
}
