using System.Numerics.Tensors;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Results;
using ParquetSharp;
using ParquetSharp.Schema;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// Parquet (ParquetSharp, Apache Arrow's C++ writer): Key, Uri, Status, TopIndices (list of int), TopLabels (list of
/// string), TopProbabilities (list of float), FailureStage, FailureReason, and with embeddings either Embedding (list
/// of float, the run's dimension on every row, null for a failure) or, in float16, EmbeddingFloat16 (binary: 2 bytes
/// per dimension, IEEE binary16 little-endian).
/// <para>
/// Rows are gathered into row groups of at most <see cref="RowGroupRows"/> rows or <see cref="RowGroupEmbeddingBytes"/>
/// of embedding values, whichever comes first. One group is written on a worker thread while the next one fills, so
/// the writer's CPU time overlaps the reader's; memory is bounded by two groups, not by the run. The embedding column
/// is written without dictionary, statistics or compression: its values are all distinct, a per-element minimum and
/// maximum says nothing, and Snappy made a 300k-row export 2.7% smaller and 1.3x slower (README, "Export").
/// </para>
/// </summary>
public sealed class ParquetResultExporter(Func<string, string> uriOf, EmbeddingPrecision? embeddings) : IResultExporter
{
    public const int RowGroupRows = 100_000;

    public const int RowGroupEmbeddingBytes = 16 << 20;

    public async Task<long> WriteAsync(IAsyncEnumerable<ExportRow> rows, IReadOnlyList<string>? labels, Stream output, CancellationToken cancellationToken)
    {
        if (!output.CanSeek || !output.CanRead)
        {
            throw new ArgumentException("Parquet export needs a file it can seek in (not stdout)", nameof(output));
        }

        var (schemaNode, embeddingColumn) = Schema(embeddings);
        using var schema = schemaNode;
        using var properties = Properties(embeddingColumn);
        using var writer = new ParquetFileWriter(output, schema, properties, leaveOpen: true);
        var filling = new RowGroup(labels, embeddings);
        var flushing = Task.FromResult<RowGroup?>(null);
        var count = 0L;
        try
        {
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                filling.Add(row, uriOf(row.Key));
                if (filling.IsFull)
                {
                    // The writer takes one group at a time; the group it finished fills next.
                    var spare = await flushing;
                    count += filling.Rows;
                    var full = filling;
                    flushing = Task.Run<RowGroup?>(() => full.Flush(writer), cancellationToken);
                    filling = spare ?? new RowGroup(labels, embeddings);
                }
            }
        }
        finally
        {
            // Never leave the writer in use by a worker when it is disposed, whatever ended the loop.
            await flushing.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await flushing;
        if (filling.Rows > 0 || count == 0)
        {
            // An empty run still gets a file with the schema and one empty row group.
            count += filling.Rows;
            filling.Flush(writer);
        }

        writer.Close();
        return count;
    }

    private static (GroupNode Schema, string? EmbeddingColumn) Schema(EmbeddingPrecision? embeddings)
    {
        var fields = new List<Node>
        {
            ParquetColumns.Text("Key"),
            ParquetColumns.Text("Uri"),
            ParquetColumns.Text("Status"),
            ParquetColumns.List("TopIndices", ParquetColumns.Int32),
            ParquetColumns.List("TopLabels", ParquetColumns.Text),
            ParquetColumns.List("TopProbabilities", ParquetColumns.Float),
            ParquetColumns.Text("FailureStage"),
            ParquetColumns.Text("FailureReason"),
        };
        switch (embeddings)
        {
            case EmbeddingPrecision.Binary32:
                fields.Add(ParquetColumns.List("Embedding", ParquetColumns.Float));
                return (ParquetColumns.Schema(fields), "Embedding.list.element");
            case EmbeddingPrecision.Binary16:
                fields.Add(ParquetColumns.Bytes("EmbeddingFloat16"));
                return (ParquetColumns.Schema(fields), "EmbeddingFloat16");
            default:
                return (ParquetColumns.Schema(fields), null);
        }
    }

    private static WriterProperties Properties(string? embeddingColumn)
    {
        // No size statistics: their level histograms cost the embedding column a count per value (1,280 per row).
        using var builder = new WriterPropertiesBuilder().Compression(Compression.Snappy).SetSizeStatisticsLevel(SizeStatisticsLevel.None);
        if (embeddingColumn is not null)
        {
            builder.Compression(embeddingColumn, Compression.Uncompressed).DisableDictionary(embeddingColumn).DisableStatistics(embeddingColumn);
        }

        return builder.Build();
    }

    /// <summary>One row group's columns, reused from group to group.</summary>
    private sealed class RowGroup
    {
        private readonly IReadOnlyList<string>? _labelNames;
        private readonly EmbeddingPrecision? _embeddings;
        private readonly ParquetColumnBuffer<string> _keys = new();
        private readonly ParquetColumnBuffer<string> _uris = new();
        private readonly ParquetColumnBuffer<string> _statuses = new();
        private readonly ParquetColumnBuffer<int[]> _indices = new();
        private readonly ParquetColumnBuffer<string?[]> _labels = new();
        private readonly ParquetColumnBuffer<float[]> _probabilities = new();
        private readonly ParquetColumnBuffer<string?> _stages = new();
        private readonly ParquetColumnBuffer<string?> _reasons = new();
        private readonly FloatListColumn _embedding = new();
        private readonly ParquetColumnBuffer<byte[]?> _embedding16 = new();
        private readonly IParquetColumnBuffer[] _columns;
        private long _embeddingBytes;

        public RowGroup(IReadOnlyList<string>? labels, EmbeddingPrecision? embeddings)
        {
            (_labelNames, _embeddings) = (labels, embeddings);

            // In the schema's order.
            IParquetColumnBuffer[] columns = [_keys, _uris, _statuses, _indices, _labels, _probabilities, _stages, _reasons];
            _columns = embeddings switch
            {
                EmbeddingPrecision.Binary32 => [.. columns, _embedding],
                EmbeddingPrecision.Binary16 => [.. columns, _embedding16],
                _ => columns,
            };
        }

        public int Rows => _keys.Count;

        public bool IsFull => Rows == RowGroupRows || _embeddingBytes >= RowGroupEmbeddingBytes;

        public void Add(ExportRow row, string uri)
        {
            _keys.Add(row.Key);
            _uris.Add(uri);
            _statuses.Add(row.Ok ? "ok" : "failed");
            _indices.Add(row.TopIndices);
            _labels.Add(Array.ConvertAll(row.TopIndices, index => (string?)LabelNames.Of(_labelNames, index)));
            _probabilities.Add(row.TopProbabilities);
            _stages.Add(row.FailureStage);
            _reasons.Add(row.FailureReason);
            if (_embeddings == EmbeddingPrecision.Binary32)
            {
                _embedding.Add(row.Embedding);
                _embeddingBytes += 4L * (row.Embedding?.Length ?? 0);
            }
            else if (_embeddings == EmbeddingPrecision.Binary16)
            {
                _embedding16.Add(row.Embedding is { } halves ? Float16Blob.ToBytes(halves) : null);
                _embeddingBytes += 2L * (row.Embedding?.Length ?? 0);
            }
        }

        /// <summary>Writes the rows as the file's next row group and empties this one for reuse.</summary>
        public RowGroup Flush(ParquetFileWriter writer)
        {
            using (var group = writer.AppendRowGroup())
            {
                foreach (var column in _columns)
                {
                    column.Flush(group);
                }
            }

            _embeddingBytes = 0;
            return this;
        }
    }

    /// <summary>
    /// A list of float column as Parquet stores it, written through ParquetSharp's physical column writer: the values
    /// back to back, a definition level (0 null, 2 an element) and a repetition level (0 a row's first element) each.
    /// </summary>
    private sealed class FloatListColumn : IParquetColumnBuffer
    {
        private const short Null = 0;
        private const short Element = 2;

        private float[] _values = new float[1 << 16];
        private short[] _definitions = new short[1 << 16];
        private short[] _repetitions = new short[1 << 16];
        private int _valueCount;
        private int _levelCount;

        public void Add(Half[]? halves)
        {
            // Values never outnumber levels (a null list has a level and no value): one size fits all three.
            var needed = _levelCount + Math.Max(halves?.Length ?? 0, 1);
            if (needed > _definitions.Length)
            {
                var size = Math.Max(needed, _definitions.Length * 2);
                Array.Resize(ref _values, size);
                Array.Resize(ref _definitions, size);
                Array.Resize(ref _repetitions, size);
            }

            if (halves is not { Length: > 0 })
            {
                _definitions[_levelCount] = Null;
                _repetitions[_levelCount++] = 0;
                return;
            }

            TensorPrimitives.ConvertToSingle(halves, _values.AsSpan(_valueCount));
            _valueCount += halves.Length;
            _definitions.AsSpan(_levelCount, halves.Length).Fill(Element);
            _repetitions.AsSpan(_levelCount, halves.Length).Fill(1);
            _repetitions[_levelCount] = 0;
            _levelCount += halves.Length;
        }

        public void Flush(RowGroupWriter group)
        {
            using var column = (ColumnWriter<float>)group.NextColumn();
            column.WriteBatch(_levelCount, _definitions.AsSpan(0, _levelCount), _repetitions.AsSpan(0, _levelCount), _values.AsSpan(0, _valueCount));
            (_valueCount, _levelCount) = (0, 0);
        }
    }
}
