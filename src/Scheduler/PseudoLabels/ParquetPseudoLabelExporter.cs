using EfficientNet.Batch.Scheduler.Export;
using ParquetSharp;
using ParquetSharp.Schema;

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
        private readonly List<string> _uris = [];
        private readonly List<string> _keys = [];
        private readonly List<int> _labels = [];
        private readonly List<string> _labelNames = [];
        private readonly List<float> _confidences = [];
        private readonly List<int> _copies = [];
        private readonly List<int[]> _softIndices = [];
        private readonly List<float[]> _softProbabilities = [];

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
                ParquetColumns.Write(group, _uris);
                ParquetColumns.Write(group, _keys);
                ParquetColumns.Write(group, _labels);
                ParquetColumns.Write(group, _labelNames);
                ParquetColumns.Write(group, _confidences);
                ParquetColumns.Write(group, _copies);
                ParquetColumns.Write(group, _softIndices);
                ParquetColumns.Write(group, _softProbabilities);
            }

            _uris.Clear();
            _keys.Clear();
            _labels.Clear();
            _labelNames.Clear();
            _confidences.Clear();
            _copies.Clear();
            _softIndices.Clear();
            _softProbabilities.Clear();
            return rows;
        }
    }
}
