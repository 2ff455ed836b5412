using System.Runtime.InteropServices;
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
        if (!output.CanSeek)
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
        private readonly EmbeddingPrecision? _embeddings;
        private readonly ParquetColumnBuffer<string> _keys = new();
        private readonly ParquetColumnBuffer<string> _uris = new();
        private readonly ParquetColumnBuffer<string> _statuses = new();
        private readonly ParquetColumnBuffer<int[]> _indices = new();
        private readonly ListColumn<ByteArray> _labels = new(ListColumn<ByteArray>.OptionalElement);
        private readonly LabelBytes _labelBytes;
        private readonly ParquetColumnBuffer<float[]> _probabilities = new();
        private readonly ParquetColumnBuffer<string?> _stages = new();
        private readonly ParquetColumnBuffer<string?> _reasons = new();
        private readonly ListColumn<float> _embedding = new(ListColumn<float>.RequiredElement);
        private readonly ParquetColumnBuffer<byte[]?> _embedding16 = new();
        private readonly IParquetColumnBuffer[] _columns;
        private long _embeddingBytes;

        public RowGroup(IReadOnlyList<string>? labels, EmbeddingPrecision? embeddings)
        {
            (_labelBytes, _embeddings) = (new LabelBytes(labels), embeddings);

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
            var names = _labels.Add(row.TopIndices.Length);
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = _labelBytes.Of(row.TopIndices[i]);
            }

            _probabilities.Add(row.TopProbabilities);
            _stages.Add(row.FailureStage);
            _reasons.Add(row.FailureReason);
            if (_embeddings == EmbeddingPrecision.Binary32)
            {
                // Written as float32: twice the stored float16 bytes. A failure has none: a null list.
                if (row.Float16Embedding is { } float16)
                {
                    Float16Blob.ConvertToSingle(float16, _embedding.Add(Float16Blob.Length(float16)));
                    _embeddingBytes += 2L * float16.Length;
                }
                else
                {
                    _embedding.AddNull();
                }
            }
            else if (_embeddings == EmbeddingPrecision.Binary16)
            {
                // The stored bytes are the column's value: binary16, little-endian.
                _embedding16.Add(row.Float16Embedding);
                _embeddingBytes += row.Float16Embedding is { } bytes ? 2L * Float16Blob.Length(bytes) : 0;
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
    /// An optional list column as Parquet stores it, written through ParquetSharp's physical column writer: the values
    /// back to back, and per value (or per null or empty list) a definition level (0 a null list, 1 an empty one,
    /// <c>elementLevel</c> an element) and a repetition level (0 a row's first element, 1 the next ones). For the
    /// embedding and the label names: ParquetSharp's logical writer of a list of strings allocated 4.2 GB for the
    /// labels of a 1M-row export, which cost 200 garbage collections of the whole process.
    /// </summary>
    private sealed class ListColumn<T>(short elementLevel) : IParquetColumnBuffer
        where T : unmanaged
    {
        /// <summary>The element level of an optional list of required elements.</summary>
        public const short RequiredElement = 2;

        /// <summary>The element level of an optional list of optional elements (none of them null here).</summary>
        public const short OptionalElement = 3;

        private const short NullList = 0;
        private const short EmptyList = 1;

        private T[] _values = new T[1 << 16];
        private short[] _definitions = new short[1 << 16];
        private short[] _repetitions = new short[1 << 16];
        private int _valueCount;
        private int _levelCount;

        public void AddNull() => AddLevel(NullList);

        /// <summary>Adds a list of <paramref name="length"/> elements, returned to be filled in.</summary>
        public Span<T> Add(int length)
        {
            if (length == 0)
            {
                AddLevel(EmptyList);
                return [];
            }

            Reserve(length);
            _definitions.AsSpan(_levelCount, length).Fill(elementLevel);
            _repetitions.AsSpan(_levelCount, length).Fill(1);
            _repetitions[_levelCount] = 0;
            _levelCount += length;
            var values = _values.AsSpan(_valueCount, length);
            _valueCount += length;
            return values;
        }

        public void Flush(RowGroupWriter group)
        {
            using var column = (ColumnWriter<T>)group.NextColumn();
            column.WriteBatch(_levelCount, _definitions.AsSpan(0, _levelCount), _repetitions.AsSpan(0, _levelCount), _values.AsSpan(0, _valueCount));
            (_valueCount, _levelCount) = (0, 0);
        }

        private void AddLevel(short definition)
        {
            Reserve(1);
            _definitions[_levelCount] = definition;
            _repetitions[_levelCount++] = 0;
        }

        /// <summary>Room for <paramref name="levels"/> more levels; values never outnumber levels, so one size fits all three.</summary>
        private void Reserve(int levels)
        {
            var needed = _levelCount + levels;
            if (needed > _definitions.Length)
            {
                var size = Math.Max(needed, _definitions.Length * 2);
                Array.Resize(ref _values, size);
                Array.Resize(ref _definitions, size);
                Array.Resize(ref _repetitions, size);
            }
        }
    }

    /// <summary>
    /// The UTF-8 bytes of each label name, encoded once and pinned (the pinned object heap never moves them), as the
    /// physical writer takes strings. Used by the thread that fills a row group only.
    /// </summary>
    private sealed class LabelBytes(IReadOnlyList<string>? labels)
    {
        private readonly Dictionary<int, (byte[] Pinned, ByteArray Value)> _names = [];

        public ByteArray Of(int index)
        {
            if (!_names.TryGetValue(index, out var name))
            {
                var text = LabelNames.Of(labels, index);
                var length = System.Text.Encoding.UTF8.GetByteCount(text);

                // One byte at least: an empty name still needs an address.
                var bytes = GC.AllocateUninitializedArray<byte>(Math.Max(length, 1), pinned: true);
                System.Text.Encoding.UTF8.GetBytes(text, bytes);
                name = (bytes, new ByteArray(Marshal.UnsafeAddrOfPinnedArrayElement(bytes, 0), length));
                _names[index] = name;
            }

            return name.Value;
        }
    }
}
