using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>runs</c>: lists the runs in a database, newest first, with their counts.</summary>
public sealed class RunsCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();

    public RunsCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("runs", "List runs, newest first (runs of one multi-model pass share the pass column).") { _database, _postgres };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        await using var storage = await StorageScope.OpenAsync(database, cancellationToken);
        var runs = await storage.Runs.ListRunsAsync(cancellationToken);
        if (runs.Count == 0)
        {
            _console.WriteLine("no runs yet");
            return ExitCodes.Success;
        }

        _console.WriteLine($"{"id",-36}  {"name",-32}  {"status",-11}  {"model",-24}  {"images",7}  {"ok",7}  {"failed",7}  {"created (UTC)",-19}  pass");
        foreach (var run in runs)
        {
            var p = await storage.Runs.GetProgressAsync(run.Id, cancellationToken);
            _console.WriteLine(
                $"{run.Id,-36}  {Truncate(run.Name, 32),-32}  {RunLock.Describe(database, run),-11}  {Truncate(run.ModelName, 24),-24}  {p.TotalImages,7}  {p.Succeeded,7}  {p.Failed,7}  {run.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {Pass(run)}");
        }

        return ExitCodes.Success;
    }

    /// <summary>The first 8 hex digits of a multi-model pass's id: the runs of one pass share it.</summary>
    private static string Pass(Storage.Runs.RunInfo run) => run.PassId is { } passId ? passId.ToString("N")[..8] : "";

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
