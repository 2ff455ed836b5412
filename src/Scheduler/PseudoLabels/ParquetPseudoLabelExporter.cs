using Parquet;
using Parquet.Serialization;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// Parquet (Parquet.Net): columns Uri, Key, Label, LabelName, Confidence, Copies, SoftIndices (list of int),
/// SoftProbabilities (list of float). Written one row group per <see cref="RowGroupRows"/> samples, each appended as
/// it fills, so at most one row group is in memory. Needs a seekable stream (a file): appending reads the footer back.
/// </summary>
public sealed class ParquetPseudoLabelExporter(int rowGroupRows = ParquetPseudoLabelExporter.RowGroupRows) : IPseudoLabelExporter
{
    public const int RowGroupRows = 100_000;

    public async Task<long> WriteAsync(IAsyncEnumerable<PseudoLabelSample> samples, Stream output, CancellationToken cancellationToken)
    {
        if (!output.CanSeek || !output.CanRead)
        {
            throw new ArgumentException("Parquet export needs a file it can seek in (not stdout)", nameof(output));
        }

        var count = 0L;
        var groups = 0;
        var buffer = new List<PseudoLabelSample>(rowGroupRows);
        await foreach (var sample in samples.WithCancellation(cancellationToken))
        {
            buffer.Add(sample);
            if (buffer.Count == rowGroupRows)
            {
                await FlushAsync();
            }
        }

        if (buffer.Count > 0 || groups == 0)
        {
            await FlushAsync();
        }

        return count;

        async Task FlushAsync()
        {
            await ParquetSerializer.SerializeAsync(
                buffer, output, new ParquetOptions { Append = groups > 0, RowGroupSize = rowGroupRows }, cancellationToken: cancellationToken);
            count += buffer.Count;
            groups++;
            buffer.Clear();
        }
    }
}
