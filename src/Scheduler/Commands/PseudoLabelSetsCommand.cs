using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.PseudoLabels;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>pseudo-label sets [NAME]</c>: lists the sets with their lineage and totals, or shows one with its classes.</summary>
public sealed class PseudoLabelSetsCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Argument<string?> _set = new("set") { Description = "Show this set (name or id) with its per-class thresholds and counts.", Arity = ArgumentArity.ZeroOrOne };

    public PseudoLabelSetsCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("sets", "List pseudo-label sets, newest first, or show one.") { _set, _database, _postgres };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var storage = await StorageScope.OpenAsync(DatabaseChoice.From(parse, _postgres, _database), cancellationToken);
        if (parse.GetValue(_set) is { } name)
        {
            var set = await storage.FindSetAsync(name, cancellationToken);
            new PseudoLabelSetPrinter(_console).Print(set, await storage.PseudoLabels.GetClassesAsync(set.Id, cancellationToken));
            return ExitCodes.Success;
        }

        var sets = await storage.PseudoLabels.ListSetsAsync(cancellationToken);
        if (sets.Count == 0)
        {
            _console.WriteLine("no pseudo-label sets yet (make one with 'pseudo-label select')");
            return ExitCodes.Success;
        }

        _console.WriteLine($"{"name",-24}  {"gen",3}  {"parent",-16}  {"teacher",-24}  {"mode",-4}  {"images",9}  {"samples",9}  created (UTC)");
        foreach (var set in sets)
        {
            _console.WriteLine(
                $"{Truncate(set.Name, 24),-24}  {set.Generation,3}  {Truncate(set.ParentSetName ?? "-", 16),-16}  {Truncate(set.TeacherModelName, 24),-24}  {set.Mode.ToString().ToLowerInvariant(),-4}  {set.UniqueImages,9}  {set.TotalSamples,9}  {set.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
        }

        return ExitCodes.Success;
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
