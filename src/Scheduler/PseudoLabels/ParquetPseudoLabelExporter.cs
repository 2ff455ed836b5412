using EfficientNet.Batch.Scheduler.Export;
using ParquetSharp;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// Parquet (ParquetSharp, Apache Arrow's C++ writer): columns Uri, Key, Label, LabelName, Confidence, Copies,
/// SoftIndices (list of int), SoftProbabilities (list of float). Written one row group per <see cref="RowGroupRows"/>
/// samples, each written as it fills, so at most one row group is in memory. Needs a seekable stream (a file), like
/// the result export.
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

        using var schema = ParquetColumns.Schema(
        [
            ParquetColumns.Text("Uri"),
            ParquetColumns.Text("Key"),
            ParquetColumns.Int32("Label"),
            ParquetColumns.Text("LabelName"),
            ParquetColumns.Float("Confidence"),
            ParquetColumns.Int32("Copies"),
            ParquetColumns.List("SoftIndices", ParquetColumns.Int32),
            ParquetColumns.List("SoftProbabilities", ParquetColumns.Float),
        ]);
        using var properties = new WriterPropertiesBuilder().Compression(Compression.Snappy).Build();
        using var writer = new ParquetFileWriter(output, schema, properties, leaveOpen: true);
        var group = new RowGroup();
        var count = 0L;
        var groups = 0;
        await foreach (var sample in samples.WithCancellation(cancellationToken))
        {
            group.Add(sample);
            if (group.Rows == rowGroupRows)
            {
                count += group.Flush(writer);
                groups++;
            }
        }

        if (group.Rows > 0 || groups == 0)
        {
            count += group.Flush(writer);
        }

        writer.Close();
        return count;
    }

    private sealed class RowGroup
    {
        private readonly ParquetColumnBuffer<string> _uris = new();
        private readonly ParquetColumnBuffer<string> _keys = new();
        private readonly ParquetColumnBuffer<int> _labels = new();
        private readonly ParquetColumnBuffer<string> _labelNames = new();
        private readonly ParquetColumnBuffer<float> _confidences = new();
        private readonly ParquetColumnBuffer<int> _copies = new();
        private readonly ParquetColumnBuffer<int[]> _softIndices = new();
        private readonly ParquetColumnBuffer<float[]> _softProbabilities = new();

        public int Rows => _keys.Count;

        public void Add(PseudoLabelSample sample)
        {
            _uris.Add(sample.Uri);
            _keys.Add(sample.Key);
            _labels.Add(sample.Label);
            _labelNames.Add(sample.LabelName);
            _confidences.Add(sample.Confidence);
            _copies.Add(sample.Copies);
            _softIndices.Add(sample.SoftIndices);
            _softProbabilities.Add(sample.SoftProbabilities);
        }

        public int Flush(ParquetFileWriter writer)
        {
            var rows = Rows;
            using (var group = writer.AppendRowGroup())
            {
                // In the schema's order.
                foreach (var column in new IParquetColumnBuffer[] { _uris, _keys, _labels, _labelNames, _confidences, _copies, _softIndices, _softProbabilities })
                {
                    column.Flush(group);
                }
            }

            return rows;
        }
    }
}
