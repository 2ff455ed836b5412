using System.Text.Json;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// One JSON object per line: <c>{"uri", "key", "label", "label_name", "confidence", "copies", "soft_labels": [{"index", "p"}, ...]}</c>
/// (soft_labels empty in hard mode).
/// </summary>
public sealed class JsonlPseudoLabelExporter : IPseudoLabelExporter
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public async Task<long> WriteAsync(IAsyncEnumerable<PseudoLabelSample> samples, Stream output, CancellationToken cancellationToken)
    {
        var count = 0L;
        await using var json = new Utf8JsonWriter(output);
        await foreach (var sample in samples.WithCancellation(cancellationToken))
        {
            json.Reset();
            json.WriteStartObject();
            json.WriteString("uri", sample.Uri);
            json.WriteString("key", sample.Key);
            json.WriteNumber("label", sample.Label);
            json.WriteString("label_name", sample.LabelName);
            json.WriteNumber("confidence", Math.Round((double)sample.Confidence, 6));
            json.WriteNumber("copies", sample.Copies);
            json.WriteStartArray("soft_labels");
            for (var i = 0; i < sample.SoftIndices.Length; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("index", sample.SoftIndices[i]);
                json.WriteNumber("p", Math.Round((double)sample.SoftProbabilities[i], 7));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            await json.FlushAsync(cancellationToken);
            await output.WriteAsync(NewLine, cancellationToken);
            count++;
        }

        return count;
    }
}
