using System.Globalization;

namespace EfficientNet.Batch.Scheduler.Export;

internal static class LabelNames
{
    /// <summary>The class name of an index, or the index itself when the model has no labels file.</summary>
    public static string Of(IReadOnlyList<string>? labels, int index) =>
        labels is not null && index < labels.Count ? labels[index] : index.ToString(CultureInfo.InvariantCulture);
}
