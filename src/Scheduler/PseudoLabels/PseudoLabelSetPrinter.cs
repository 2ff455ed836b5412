using System.Globalization;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>Prints one set: lineage, parameters, totals, and its classes (the fullest and emptiest when there are many).</summary>
public sealed class PseudoLabelSetPrinter(CliConsole console)
{
    private const int ClassesShown = 10;

    public void Print(PseudoLabelSetInfo set, IReadOnlyList<PseudoLabelClassInfo> classes)
    {
        console.WriteLine($"Set {set.Name} (generation {set.Generation}{(set.ParentSetName is { } parent ? $", parent {parent}" : "")})");
        console.WriteLine($"  teacher:  {set.TeacherModelName} (sha256 {string.Join(", ", set.TeacherModelSha256.Split(',').Select(sha => sha[..Math.Min(12, sha.Length)] + "…"))}), run {set.TeacherRunName}");
        console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  params:   --per-class {set.PerClassTarget} --min-confidence {set.MinConfidence} --mode {set.Mode.ToString().ToLowerInvariant()} --temperature {set.Temperature} --seed {set.Seed}"));
        if (set.ExcludeNearRun is not null)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  exclude:  --exclude-near {set.ExcludeNearRun} --similarity {set.ExcludeSimilarity}: {set.ExcludedNear} images removed"));
        }

        if (set.DedupSimilarity is not null)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  dedup:    --dedup {set.DedupSimilarity}: {set.DedupRemoved} images removed (one kept per near-duplicate group)"));
        }

        console.WriteLine($"  classes:  {classes.Count} with images at or above the floor");
        console.WriteLine($"  images:   {set.UniqueImages} unique, {set.TotalSamples} samples");
        if (classes.Count == 0)
        {
            return;
        }

        console.WriteLine($"  {"class",7}  {"threshold",9}  {"candidates",10}  {"selected",9}  {"samples",9}");
        var shown = classes.Count <= ClassesShown
            ? classes
            : classes.OrderByDescending(c => c.Candidates).Take(ClassesShown / 2)
                .Concat(classes.OrderBy(c => c.Candidates).Take(ClassesShown / 2))
                .DistinctBy(c => c.ClassIndex).OrderBy(c => c.ClassIndex).ToList();
        foreach (var c in shown)
        {
            console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {c.ClassIndex,7}  {c.Threshold,9:F2}  {c.Candidates,10}  {c.Selected,9}  {c.Samples,9}"));
        }

        if (shown.Count < classes.Count)
        {
            console.WriteLine($"  ({classes.Count - shown.Count} more classes: see the stats JSON of 'pseudo-label export')");
        }
    }
}
