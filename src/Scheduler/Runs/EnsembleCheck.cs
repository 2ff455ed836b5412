using EfficientNet.Batch.Models;

namespace EfficientNet.Batch.Scheduler.Runs;

/// <summary>The teachers of an ensemble must be distinct models over one label space, or their probabilities cannot be averaged.</summary>
public static class EnsembleCheck
{
    /// <exception cref="ModelSpecException">Names the first teacher that differs from the first one, and how.</exception>
    public static void SameLabelSpace(IReadOnlyList<string> names, IReadOnlyList<ModelFile> files, IReadOnlyList<int> classCounts)
    {
        if (files.Count < 2)
        {
            throw new ModelSpecException("an ensemble needs at least two teachers (--model a --model b)");
        }

        for (var t = 1; t < files.Count; t++)
        {
            if (files.Take(t).Any(f => f.Sha256 == files[t].Sha256))
            {
                throw new ModelSpecException($"the same model is given twice: {names[t]} (sha256 {files[t].Sha256[..12]}…)");
            }

            if (classCounts[t] != classCounts[0])
            {
                throw new ModelSpecException($"ensemble teachers differ in label space: {names[0]} has {classCounts[0]} classes, {names[t]} has {classCounts[t]}");
            }

            if (files[t].LabelsSha256 != files[0].LabelsSha256)
            {
                throw new ModelSpecException(
                    $"ensemble teachers differ in label space: the label files of {names[0]} and {names[t]} differ (sha256 {Short(files[0].LabelsSha256)} vs {Short(files[t].LabelsSha256)})");
            }
        }
    }

    private static string Short(string? sha256) => sha256 is null ? "none" : sha256[..12] + "…";
}
