using System.Numerics.Tensors;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Results;
using Parquet;
using Parquet.Serialization;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// Parquet (Parquet.Net): columns Key, Uri, Status, TopIndices (list of int), TopLabels (list of string),
/// TopProbabilities (list of float), FailureStage, FailureReason, and with embeddings either Embedding (list of float,
/// the run's dimension on every row, null for a failure) or, in float16, EmbeddingFloat16 (binary, see
/// <see cref="ResultRecordWithFloat16Embedding"/>). Written one row group at a time, each appended as
/// it fills (the approach of <see cref="PseudoLabels.ParquetPseudoLabelExporter"/>), so at most one row group is in
/// memory: <see cref="RowGroupRows"/> rows, or fewer when embeddings make rows large (about 64 MB of embeddings per group).
/// Needs a seekable stream (a file): appending reads the footer back.
/// </summary>
public sealed class ParquetResultExporter(Func<string, string> uriOf, EmbeddingPrecision? embeddings) : IResultExporter
{
    public const int RowGroupRows = 100_000;

    private const int RowGroupEmbeddingBytes = 64 << 20;

    public async Task<long> WriteAsync(IAsyncEnumerable<ExportRow> rows, IReadOnlyList<string>? labels, Stream output, CancellationToken cancellationToken)
    {
        if (!output.CanSeek || !output.CanRead)
        {
            throw new ArgumentException("Parquet export needs a file it can seek in (not stdout)", nameof(output));
        }

        var count = 0L;
        var groups = 0;
        var groupRows = RowGroupRows;
        var buffer = new List<ResultRecord>();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (count == 0 && buffer.Count == 0 && row.Embedding is { Length: > 0 } first)
            {
                var bytesPerRow = first.Length * (embeddings == EmbeddingPrecision.Binary16 ? 2 : 4);
                groupRows = Math.Clamp(RowGroupEmbeddingBytes / bytesPerRow, 1024, RowGroupRows);
            }

            buffer.Add(Record(row, labels));
            if (buffer.Count == groupRows)
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
            var options = new ParquetOptions { Append = groups > 0, RowGroupSize = Math.Max(buffer.Count, 1) };
            await (embeddings switch
            {
                EmbeddingPrecision.Binary32 => ParquetSerializer.SerializeAsync(buffer.Cast<ResultRecordWithEmbedding>(), output, options, cancellationToken: cancellationToken),
                EmbeddingPrecision.Binary16 => ParquetSerializer.SerializeAsync(buffer.Cast<ResultRecordWithFloat16Embedding>(), output, options, cancellationToken: cancellationToken),
                _ => ParquetSerializer.SerializeAsync(buffer, output, options, cancellationToken: cancellationToken),
            });
            count += buffer.Count;
            groups++;
            buffer.Clear();
        }
    }

    private ResultRecord Record(ExportRow row, IReadOnlyList<string>? labels)
    {
        ResultRecord record = embeddings switch
        {
            EmbeddingPrecision.Binary32 => new ResultRecordWithEmbedding { Embedding = ToSingles(row.Embedding) },
            EmbeddingPrecision.Binary16 => new ResultRecordWithFloat16Embedding { EmbeddingFloat16 = ToBytes(row.Embedding) },
            _ => new ResultRecord(),
        };
        record.Key = row.Key;
        record.Uri = uriOf(row.Key);
        record.Status = row.Ok ? "ok" : "failed";
        record.TopIndices = row.TopIndices;
        record.TopLabels = row.TopIndices.Select(i => LabelNames.Of(labels, i)).ToArray();
        record.TopProbabilities = row.TopProbabilities;
        record.FailureStage = row.FailureStage;
        record.FailureReason = row.FailureReason;
        return record;
    }

    private static byte[]? ToBytes(Half[]? values) =>
        values is null ? null : Float16Blob.ToBytes(ToSingles(values));

    private static float[]? ToSingles(Half[]? values)
    {
        if (values is null)
        {
            return null;
        }

        var singles = new float[values.Length];
        TensorPrimitives.ConvertToSingle(values, singles);
        return singles;
    }
}
