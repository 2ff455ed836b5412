using System.Text.Json;
using EfficientNet.Batch.Storage.Results;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// One JSON object per line:
/// <c>{"key": "...", "status": "ok"|"failed", "labels": [{"index": i, "label": "...", "p": 0.123}, ...], "error": {"stage": "...", "reason": "..."}|null}</c>.
/// </summary>
public sealed class JsonlResultExporter : IResultExporter
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public async Task<long> WriteAsync(IAsyncEnumerable<ExportRow> rows, IReadOnlyList<string>? labels, Stream output, CancellationToken cancellationToken)
    {
        var count = 0L;
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = false });
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            json.Reset();
            json.WriteStartObject();
            json.WriteString("key", row.Key);
            json.WriteString("status", row.Ok ? "ok" : "failed");
            json.WriteStartArray("labels");
            for (var i = 0; i < row.TopIndices.Length; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("index", row.TopIndices[i]);
                json.WriteString("label", LabelNames.Of(labels, row.TopIndices[i]));
                json.WriteNumber("p", Math.Round((double)row.TopProbabilities[i], 6));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (row.Ok)
            {
                json.WriteNull("error");
            }
            else
            {
                json.WriteStartObject("error");
                json.WriteString("stage", row.FailureStage);
                json.WriteString("reason", row.FailureReason);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            await json.FlushAsync(cancellationToken);
            await output.WriteAsync(NewLine, cancellationToken);
            count++;
        }

        return count;
    }
}
