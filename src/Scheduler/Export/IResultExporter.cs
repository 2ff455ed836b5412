using EfficientNet.Batch.Storage.Results;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>Writes a run's results to a stream, one record per image, without holding the run in memory.</summary>
public interface IResultExporter
{
    Task<long> WriteAsync(IAsyncEnumerable<ExportRow> rows, IReadOnlyList<string>? labels, Stream output, CancellationToken cancellationToken);
}
