using System.CommandLine;
using EfficientNet.Batch.Messaging;
using EfficientNet.Batch.Storage;
using PostgresConnectionStrings = EfficientNet.Batch.Storage.Database.Postgres.PostgresConnectionString;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>
/// Where a command keeps job state. Explicit flags win over the configuration: --postgres, then --db, then
/// ConnectionStrings:Postgres (ConnectionStrings__Postgres, or the ENB_CONFIG_FILE file), then the default SQLite file.
/// </summary>
public sealed record DatabaseChoice(string? PostgresConnectionString, string SqlitePath)
{
    public bool IsPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    public static DatabaseChoice From(ParseResult parse, Option<string?> postgres, Option<string> sqlite)
    {
        var sqlitePath = Path.GetFullPath(parse.GetValue(sqlite)!);
        if (parse.GetValue(postgres) is { Length: > 0 } explicitPostgres)
        {
            return new DatabaseChoice(explicitPostgres, sqlitePath);
        }

        var sqliteGiven = parse.GetResult(sqlite) is { Implicit: false };
        return new DatabaseChoice(
            sqliteGiven ? null : CliConfiguration.ConnectionString(ConnectionNames.Postgres),
            sqlitePath);
    }

    public void AddTo(IServiceCollection services) => services.AddBatchStorage(PostgresConnectionString, SqlitePath);

    /// <summary>For messages: the database without credentials.</summary>
    public override string ToString()
    {
        if (!IsPostgres)
        {
            return SqlitePath;
        }

        try
        {
            return $"postgres://{PostgresConnectionStrings.Describe(PostgresConnectionString!)}";
        }
        catch (ArgumentException)
        {
            return "postgres (unparseable connection string)";
        }
    }
}
