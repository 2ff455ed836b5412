namespace EfficientNet.Batch.Storage.Results;

/// <summary>Streams a run's results, one row per image of the run, ordered by key; constant memory.</summary>
public interface IResultReader
{
    /// <param name="runId">The run.</param>
    /// <param name="withEmbeddings">Also read each prediction's stored embedding (null where none was stored).</param>
    /// <param name="cancellationToken">Stops the stream.</param>
    IAsyncEnumerable<ExportRow> ReadAsync(Guid runId, bool withEmbeddings, CancellationToken cancellationToken);
}
