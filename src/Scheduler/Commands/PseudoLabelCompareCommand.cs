using System.CommandLine;
using System.Globalization;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Export;
using EfficientNet.Batch.Storage.PseudoLabels;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>pseudo-label compare A B</c>: agreement between two sets (two teachers, or two generations), or two teacher runs
/// (<c>run:&lt;name&gt;</c>, top-1 labels), on the images they share, overall and per class, and how many labels changed.
/// </summary>
public sealed class PseudoLabelCompareCommand
{
    private const int ClassesShown = 20;
    private const string RunPrefix = "run:";

    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Argument<string> _first = new("a") { Description = "The first set (name or id), or run:<id|name> (a teacher run's top-1); per-class rows group by its labels." };
    private readonly Argument<string> _second = new("b") { Description = "The second set, or run:<id|name>." };

    public PseudoLabelCompareCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("compare", "Compare two pseudo-label sets (or two teacher runs): agreement overall and per class, labels changed.")
        {
            _first, _second, _database, _postgres,
        };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private static bool IsRun(string argument) => argument.StartsWith(RunPrefix, StringComparison.OrdinalIgnoreCase);

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (a, b) = (parse.GetValue(_first)!, parse.GetValue(_second)!);
        CliChecks.Require(IsRun(a) == IsRun(b), $"compare two sets or two runs (run:<name>), not '{a}' with '{b}'");
        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        SetComparison comparison;
        IReadOnlyList<string>? labels;
        if (IsRun(a))
        {
            var first = await storage.FindRunAsync(a[RunPrefix.Length..], cancellationToken);
            var second = await storage.FindRunAsync(b[RunPrefix.Length..], cancellationToken);
            comparison = await storage.PseudoLabels.CompareRunsAsync(first, second, cancellationToken);
            labels = (await storage.Runs.GetModelAsync(first.ModelId, cancellationToken))?.Labels;
            _console.WriteLine($"run {first.Name} ({first.ModelName}) vs run {second.Name} ({second.ModelName}), top-1 labels");
        }
        else
        {
            var first = await storage.FindSetAsync(a, cancellationToken);
            var second = await storage.FindSetAsync(b, cancellationToken);
            comparison = await storage.PseudoLabels.CompareAsync(first.Id, second.Id, cancellationToken);
            labels = (await storage.Runs.GetModelAsync(first.TeacherModelId, cancellationToken))?.Labels;
            _console.WriteLine($"{first.Name} ({first.TeacherModelName}, generation {first.Generation}) vs {second.Name} ({second.TeacherModelName}, generation {second.Generation})");
        }

        var firstName = comparison.First;
        _console.WriteLine($"  images in both:   {comparison.InBoth}");
        _console.WriteLine($"  only in {firstName}: {comparison.OnlyInFirst}; only in {comparison.Second}: {comparison.OnlyInSecond}");
        _console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  same label:       {comparison.Agreeing} ({(comparison.Agreement is { } share ? $"{share:P1}" : "n/a")}); labels changed: {comparison.Changed}"));
        if (comparison.PerClass.Count == 0)
        {
            return ExitCodes.Success;
        }

        _console.WriteLine($"  per class of {firstName} (most changed first):");
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
