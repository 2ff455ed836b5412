using System.Runtime.CompilerServices;
using EfficientNet.Batch.Scheduler.Export;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// Turns a set's stored rows into export rows, one at a time: resolves URIs (parsing each distinct source once),
/// names labels, and in soft mode re-sharpens the teacher's distribution with the set's temperature
/// (<see cref="SoftLabels"/>: exact from a stored full distribution, top-k renormalised otherwise).
/// </summary>
public static class PseudoLabelSamples
{
    public static async IAsyncEnumerable<PseudoLabelSample> FromAsync(
        IAsyncEnumerable<PseudoLabelRow> rows,
        PseudoLabelSetInfo set,
        IReadOnlyList<string>? labels,
        bool oneRowPerCopy,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var soft = set.Mode == PseudoLabelMode.Soft;
        var uris = new Dictionary<string, Func<string, string>>(StringComparer.Ordinal);
        int[] allClasses = []; // 0..C-1 for full distributions: one shared array, not one per row (a Parquet row group holds 100k)
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (!uris.TryGetValue(row.Source, out var uriOf))
            {
                uris[row.Source] = uriOf = ImageUri.For(row.Source);
            }

            var sample = new PseudoLabelSample
            {
                Uri = uriOf(row.Key),
                Key = row.Key,
                Label = row.Label,
                LabelName = LabelNames.Of(labels, row.Label),
                Confidence = row.Confidence,
                Copies = oneRowPerCopy ? 1 : row.Copies,
            };
            if (soft)
            {
                (sample.SoftIndices, sample.SoftProbabilities) = row.FullProbabilities is { } full
                    ? (allClasses.Length == full.Length ? allClasses : allClasses = Enumerable.Range(0, full.Length).ToArray(), SoftLabels.Sharpen(full, set.Temperature))
                    : (row.TopIndices, SoftLabels.Sharpen(row.TopProbabilities, set.Temperature));
            }

            for (var copy = 0; copy < (oneRowPerCopy ? row.Copies : 1); copy++)
            {
                yield return sample;
            }
        }
    }
}
