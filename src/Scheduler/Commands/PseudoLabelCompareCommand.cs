using System.CommandLine;
using System.Globalization;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;
using EfficientNet.Batch.Scheduler.Export;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>pseudo-label compare A B</c>: agreement between two sets (two teachers, or two generations) on the images they
/// share, overall and per class, and how many labels changed.
/// </summary>
public sealed class PseudoLabelCompareCommand
{
    private const int ClassesShown = 20;

    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Argument<string> _first = new("a") { Description = "The first set (name or id); per-class rows group by its labels." };
    private readonly Argument<string> _second = new("b") { Description = "The second set (name or id)." };

    public PseudoLabelCompareCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("compare", "Compare two pseudo-label sets: agreement overall and per class, labels changed.")
        {
            _first, _second, _database, _postgres,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        var first = await storage.FindSetAsync(parse.GetValue(_first)!, cancellationToken);
        var second = await storage.FindSetAsync(parse.GetValue(_second)!, cancellationToken);
        var comparison = await storage.PseudoLabels.CompareAsync(first.Id, second.Id, cancellationToken);
        var labels = (await storage.Runs.GetModelAsync(first.TeacherModelId, cancellationToken))?.Labels;

        _console.WriteLine($"{first.Name} ({first.TeacherModelName}, generation {first.Generation}) vs {second.Name} ({second.TeacherModelName}, generation {second.Generation})");
        _console.WriteLine($"  images in both:   {comparison.InBoth}");
        _console.WriteLine($"  only in {first.Name}: {comparison.OnlyInFirst}; only in {second.Name}: {comparison.OnlyInSecond}");
        _console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  same label:       {comparison.Agreeing} ({(comparison.Agreement is { } a ? $"{a:P1}" : "n/a")}); labels changed: {comparison.Changed}"));
        if (comparison.PerClass.Count == 0)
        {
            return ExitCodes.Success;
        }

        _console.WriteLine($"  per class of {first.Name} (most changed first):");
        _console.WriteLine($"  {"class",7}  {"label",-24}  {"in both",8}  {"same",8}  {"changed",8}  agreement");
        foreach (var c in comparison.PerClass.OrderByDescending(c => c.Changed).ThenBy(c => c.ClassIndex).Take(ClassesShown))
        {
            var name = LabelNames.Of(labels, c.ClassIndex);
            _console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {c.ClassIndex,7}  {(name.Length > 24 ? name[..23] + "…" : name),-24}  {c.InBoth,8}  {c.Agreeing,8}  {c.Changed,8}  {c.Agreement:P1}"));
        }

        if (comparison.PerClass.Count > ClassesShown)
        {
            _console.WriteLine($"  ({comparison.PerClass.Count - ClassesShown} more classes)");
        }

        return ExitCodes.Success;
    }
}
