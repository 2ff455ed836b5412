using System.CommandLine;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary><c>migrate</c>: creates the schema or applies pending migrations (PostgreSQL or the SQLite file). The chart runs it as a hook.</summary>
public sealed class MigrateCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();

    public MigrateCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("migrate", "Create or upgrade the database schema.") { _database, _postgres };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        await using var storage = await StorageScope.OpenAsync(database, cancellationToken, create: true);
        _console.WriteLine($"database {database} is up to date");
        return ExitCodes.Success;
    }
}
