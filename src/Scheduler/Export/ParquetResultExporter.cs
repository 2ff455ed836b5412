using System.Numerics.Tensors;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Results;
using Parquet;
using Parquet.Schema;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// Parquet (Parquet.Net's column writer): Key, Uri, Status, TopIndices (list of int), TopLabels (list of string),
/// TopProbabilities (list of float), FailureStage, FailureReason, and with embeddings either Embedding (list of float,
/// the run's dimension on every row, null for a failure) or, in float16, EmbeddingFloat16 (binary: 2 bytes per
/// dimension, IEEE binary16 little-endian, because Parquet.Net 6.1 writes neither Half values nor Parquet's FLOAT16
/// type: "type System.Half is not supported"). Columns are written from flat buffers (values, definition and repetition
/// levels), one row group at a time: at most <see cref="RowGroupRows"/> rows, fewer when embeddings make rows large
/// (about 32 MB of embedding values per group), so memory is bounded by a row group, not by the run.
/// Needs a seekable stream (a file).
/// </summary>
public sealed class ParquetResultExporter(Func<string, string> uriOf, EmbeddingPrecision? embeddings) : IResultExporter
{
    public const int RowGroupRows = 100_000;

    private const int RowGroupEmbeddingBytes = 32 << 20;

    public async Task<long> WriteAsync(IAsyncEnumerable<ExportRow> rows, IReadOnlyList<string>? labels, Stream output, CancellationToken cancellationToken)
    {
        if (!output.CanSeek || !output.CanRead)
        {
            throw new ArgumentException("Parquet export needs a file it can seek in (not stdout)", nameof(output));
        }

        var schema = Schema(embeddings);
        var group = new RowGroup(labels);
        var count = 0L;
        await using (var writer = await ParquetWriter.CreateAsync(schema, output, cancellationToken: cancellationToken))
        {
            var groupRows = RowGroupRows;
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                if (count == 0 && group.Rows == 0 && row.Embedding is { Length: > 0 } first)
                {
                    var bytesPerRow = first.Length * (embeddings == EmbeddingPrecision.Binary16 ? 2 : 4);
                    groupRows = Math.Clamp(RowGroupEmbeddingBytes / bytesPerRow, 1024, RowGroupRows);
                }

                group.Add(row, uriOf(row.Key), embeddings);
                if (group.Rows == groupRows)
                {
                    count += await group.FlushAsync(writer, schema, embeddings, cancellationToken);
                }
            }

            if (group.Rows > 0 || count == 0)
            {
                count += await group.FlushAsync(writer, schema, embeddings, cancellationToken);
            }
        }

        return count;
    }

    private static ParquetSchema Schema(EmbeddingPrecision? embeddings)
    {
        var fields = new List<Field>
        {
            new DataField<string>("Key"),
            new DataField<string>("Uri"),
            new DataField<string>("Status"),
            new ListField("TopIndices", new DataField<int>("element")),
            new ListField("TopLabels", new DataField<string>("element")),
            new ListField("TopProbabilities", new DataField<float>("element")),
            new DataField<string>("FailureStage"),
            new DataField<string>("FailureReason"),
        };
        if (embeddings == EmbeddingPrecision.Binary32)
        {
            fields.Add(new ListField("Embedding", new DataField<float>("element")));
        }
        else if (embeddings == EmbeddingPrecision.Binary16)
        {
            fields.Add(new DataField<byte[]>("EmbeddingFloat16"));
        }

        return new ParquetSchema(fields);
    }

    /// <summary>One row group's columns, flat, reused from group to group.</summary>
    private sealed class RowGroup(IReadOnlyList<string>? labels)
    {
        // Definition levels of a list column (optional list of required elements): 0 null, 1 empty, 2 an element.
        private const int NullList = 0;
        private const int EmptyList = 1;
        private const int Element = 2;

        private readonly List<string> _keys = [];
        private readonly List<string> _uris = [];
        private readonly List<string> _statuses = [];
        private readonly List<string?> _stages = [];
        private readonly List<string?> _reasons = [];
        private readonly ListColumn<int> _indices = new();
        private readonly ListColumn<float> _probabilities = new();
        private readonly List<string?> _labels = [];
        private readonly List<int> _labelRepetitions = [];
        private readonly ListColumn<float> _embedding = new();
        private readonly List<byte[]?> _embedding16 = [];
        private float[] _singles = [];

        public int Rows => _keys.Count;

        public void Add(ExportRow row, string uri, EmbeddingPrecision? embeddings)
        {
            _keys.Add(row.Key);
            _uris.Add(uri);
            _statuses.Add(row.Ok ? "ok" : "failed");
            _stages.Add(row.FailureStage);
            _reasons.Add(row.FailureReason);
            _indices.Add(row.TopIndices, present: true);
            _probabilities.Add(row.TopProbabilities, present: true);
            if (row.TopIndices.Length == 0)
            {
                // Parquet.Net reads a null element starting a row as an empty list.
                _labels.Add(null);
                _labelRepetitions.Add(0);
            }

            for (var i = 0; i < row.TopIndices.Length; i++)
            {
                _labels.Add(LabelNames.Of(labels, row.TopIndices[i]));
                _labelRepetitions.Add(i == 0 ? 0 : 1);
            }

            if (embeddings == EmbeddingPrecision.Binary32)
            {
                var halves = row.Embedding ?? [];
                if (_singles.Length != halves.Length)
                {
                    _singles = new float[halves.Length];
                }

                TensorPrimitives.ConvertToSingle(halves, _singles);
                _embedding.Add(_singles, present: row.Embedding is not null);
            }
            else if (embeddings == EmbeddingPrecision.Binary16)
            {
                _embedding16.Add(row.Embedding is { } halves ? Float16Blob.ToBytes(halves) : null);
            }
        }

        public async Task<int> FlushAsync(ParquetWriter writer, ParquetSchema schema, EmbeddingPrecision? embeddings, CancellationToken cancellationToken)
        {
            var fields = schema.GetDataFields();
            var rows = Rows;
            using (var group = writer.CreateRowGroup())
            {
                await group.WriteAsync(fields[0], _keys);
                await group.WriteAsync(fields[1], _uris);
                await group.WriteAsync(fields[2], _statuses);
                await _indices.WriteAsync(group, fields[3], cancellationToken);
                await group.WriteAsync(fields[4], _labels, _labelRepetitions.ToArray());
                await _probabilities.WriteAsync(group, fields[5], cancellationToken);
                await group.WriteAsync(fields[6], _stages);
                await group.WriteAsync(fields[7], _reasons);
                if (embeddings == EmbeddingPrecision.Binary32)
                {
                    await _embedding.WriteAsync(group, fields[8], cancellationToken);
                }
                else if (embeddings == EmbeddingPrecision.Binary16)
                {
                    await group.WriteAsync(fields[8], _embedding16);
                }

                group.CompleteValidate();
            }

            _keys.Clear();
            _uris.Clear();
            _statuses.Clear();
            _stages.Clear();
            _reasons.Clear();
            _indices.Clear();
            _probabilities.Clear();
            _labels.Clear();
            _labelRepetitions.Clear();
            _embedding.Clear();
            _embedding16.Clear();
            return rows;
        }

        /// <summary>A list column as Parquet stores it: the values back to back, a definition and a repetition level each.</summary>
        private sealed class ListColumn<T>
            where T : struct
        {
            private T[] _values = new T[1024];
            private int[] _definitions = new int[1024];
            private int[] _repetitions = new int[1024];
            private int _valueCount;
            private int _levelCount;

            public void Add(ReadOnlySpan<T> values, bool present)
            {
                Reserve(values.Length);
                if (values.Length == 0)
                {
                    _definitions[_levelCount] = present ? EmptyList : NullList;
                    _repetitions[_levelCount++] = 0;
                    return;
                }

                values.CopyTo(_values.AsSpan(_valueCount));
                _valueCount += values.Length;
                _definitions.AsSpan(_levelCount, values.Length).Fill(Element);
                _repetitions.AsSpan(_levelCount, values.Length).Fill(1);
                _repetitions[_levelCount] = 0;
                _levelCount += values.Length;
            }

            public Task WriteAsync(ParquetRowGroupWriter group, DataField field, CancellationToken cancellationToken) =>
                group.WriteAllPartsAsync<T>(
                    field, _values.AsMemory(0, _valueCount), _definitions.AsMemory(0, _levelCount), _repetitions.AsMemory(0, _levelCount), cancellationToken);

            public void Clear() => (_valueCount, _levelCount) = (0, 0);

            private void Reserve(int more)
            {
                // Values never outnumber levels (an empty or null list has a level and no value): one size fits all three.
                var needed = _levelCount + Math.Max(more, 1);
                if (needed > _definitions.Length)
                {
                    var size = Math.Max(needed, _definitions.Length * 2);
                    Array.Resize(ref _values, size);
                    Array.Resize(ref _definitions, size);
                    Array.Resize(ref _repetitions, size);
                }
            }
        }
    }
}
