using System.Text.Json;
using EfficientNet.Batch.Scheduler.Export;
using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>
/// The stats JSON written beside an export: the set's lineage and parameters, per-class thresholds and counts, unique
/// images and total samples, so a training job can check what it was given.
/// </summary>
public static class PseudoLabelStats
{
    public static async Task WriteAsync(
        PseudoLabelSetInfo set, IReadOnlyList<PseudoLabelClassInfo> classes, IReadOnlyList<string>? labels, long rowsWritten, Stream output, CancellationToken cancellationToken)
    {
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("set", set.Name);
        json.WriteNumber("generation", set.Generation);
        json.WriteString("parent_set", set.ParentSetName);
        json.WriteStartObject("teacher");
        json.WriteString("model", set.TeacherModelName);
        json.WriteString("sha256", set.TeacherModelSha256);
        json.WriteString("run", set.TeacherRunName);
        json.WriteString("run_id", set.TeacherRunId);
        json.WriteEndObject();
        json.WriteStartObject("parameters");
        json.WriteNumber("per_class", set.PerClassTarget);
        json.WriteNumber("min_confidence", set.MinConfidence);
        json.WriteString("mode", set.Mode.ToString().ToLowerInvariant());
        json.WriteNumber("temperature", set.Temperature);
        json.WriteNumber("seed", set.Seed);
        json.WriteEndObject();
        json.WriteNumber("unique_images", set.UniqueImages);
        json.WriteNumber("total_samples", set.TotalSamples);
        json.WriteNumber("rows_written", rowsWritten);
        json.WriteString("created_at", set.CreatedAt);
        json.WriteStartArray("classes");
        foreach (var c in classes)
        {
            json.WriteStartObject();
            json.WriteNumber("index", c.ClassIndex);
            json.WriteString("label", LabelNames.Of(labels, c.ClassIndex));
            json.WriteNumber("threshold", c.Threshold);
            json.WriteNumber("candidates", c.Candidates);
            json.WriteNumber("selected", c.Selected);
            json.WriteNumber("samples", c.Samples);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }
}
