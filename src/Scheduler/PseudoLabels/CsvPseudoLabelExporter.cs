using System.Globalization;
using System.Text;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// CSV (RFC 4180) with a header: <c>uri,key,label,label_name,confidence,copies,soft_labels</c>; soft_labels is
/// <c>index:p</c> pairs separated by ';' (empty in hard mode).
/// </summary>
public sealed class CsvPseudoLabelExporter : IPseudoLabelExporter
{
    public async Task<long> WriteAsync(IAsyncEnumerable<PseudoLabelSample> samples, Stream output, CancellationToken cancellationToken)
    {
        var count = 0L;
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), bufferSize: 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        await writer.WriteLineAsync("uri,key,label,label_name,confidence,copies,soft_labels".AsMemory(), cancellationToken);
        var line = new StringBuilder();
        await foreach (var sample in samples.WithCancellation(cancellationToken))
        {
            line.Clear()
                .Append(Quote(sample.Uri)).Append(',')
                .Append(Quote(sample.Key)).Append(',')
                .Append(sample.Label.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Quote(sample.LabelName)).Append(',')
                .Append(Math.Round((double)sample.Confidence, 6).ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(sample.Copies.ToString(CultureInfo.InvariantCulture)).Append(',');
            for (var i = 0; i < sample.SoftIndices.Length; i++)
            {
                line.Append(i == 0 ? "" : ";")
                    .Append(sample.SoftIndices[i].ToString(CultureInfo.InvariantCulture)).Append(':')
                    .Append(Math.Round((double)sample.SoftProbabilities[i], 7).ToString(CultureInfo.InvariantCulture));
            }

            await writer.WriteLineAsync(line, cancellationToken);
            count++;
        }

        return count;
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
