using System.CommandLine;
using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Storage.Database.Postgres;

namespace EfficientNet.Batch.Scheduler.Commands;

/// <summary>
/// <c>migrate</c>: creates the schema or applies pending migrations (PostgreSQL or the SQLite file). The chart runs it
/// as a hook. <c>--grant-worker ROLE</c> then grants an existing PostgreSQL role exactly what workers need
/// (<see cref="WorkerRoleGrants"/>), so workers can run without the migrating role's privileges.
/// </summary>
public sealed class MigrateCommand
{
    private readonly CliConsole _console;
    private readonly Option<string> _database = CommonOptions.Database();
    private readonly Option<string?> _postgres = CommonOptions.Postgres();
    private readonly Option<string?> _grantWorker = new("--grant-worker")
    {
        Description = "After migrating, grant this existing PostgreSQL role the least privileges a worker needs.",
    };

    public MigrateCommand(CliConsole console)
    {
        _console = console;
        Command = new Command("migrate", "Create or upgrade the database schema.") { _database, _postgres, _grantWorker };
        Command.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var database = DatabaseChoice.From(parse, _postgres, _database);
        await using var storage = await StorageScope.OpenAsync(database, cancellationToken, create: true);
        _console.WriteLine($"database {database} is up to date");
        if (parse.GetValue(_grantWorker) is { Length: > 0 } role)
        {
            if (!database.IsPostgres)
            {
                throw new CliException("--grant-worker needs a PostgreSQL database (--postgres or ConnectionStrings__Postgres)");
            }

            IReadOnlyList<string> granted;
            try
            {
                granted = await WorkerRoleGrants.ApplyAsync(database.PostgresConnectionString!, role, cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or Npgsql.PostgresException)
            {
                throw new CliException($"cannot grant worker privileges to {role}: {SecretRedactor.Redact(e.Message)}");
            }

            foreach (var statement in granted)
            {
                _console.WriteLine($"{statement};");
            }
        }

        return ExitCodes.Success;
    }
}
