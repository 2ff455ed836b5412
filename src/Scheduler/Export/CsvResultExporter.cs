using System.Globalization;
using System.Text;
using EfficientNet.Batch.Storage.Results;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// RFC 4180 CSV: <c>key,status,label_1,index_1,p_1,...,label_k,index_k,p_k,error_stage,error_reason</c>, k being the
/// largest number of labels any row has (the run's top-k).
/// </summary>
public sealed class CsvResultExporter(int topK) : IResultExporter
{
    public async Task<long> WriteAsync(IAsyncEnumerable<ExportRow> rows, IReadOnlyList<string>? labels, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n" };
        var header = new List<string> { "key", "status" };
        for (var i = 1; i <= topK; i++)
        {
            header.AddRange([$"label_{i}", $"index_{i}", $"p_{i}"]);
        }

        header.AddRange(["error_stage", "error_reason"]);
        await writer.WriteLineAsync(string.Join(',', header));
        var count = 0L;
        var fields = new List<string>(header.Count);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            fields.Clear();
            fields.Add(row.Key);
            fields.Add(row.Ok ? "ok" : "failed");
            for (var i = 0; i < topK; i++)
            {
                var has = i < row.TopIndices.Length;
                fields.Add(has ? LabelNames.Of(labels, row.TopIndices[i]) : "");
                fields.Add(has ? row.TopIndices[i].ToString(CultureInfo.InvariantCulture) : "");
                fields.Add(has ? row.TopProbabilities[i].ToString("0.######", CultureInfo.InvariantCulture) : "");
            }

            fields.Add(row.FailureStage ?? "");
            fields.Add(row.FailureReason ?? "");
            await writer.WriteLineAsync(string.Join(',', fields.Select(Escape)));
            count++;
        }

        return count;
    }

    private static string Escape(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
}
