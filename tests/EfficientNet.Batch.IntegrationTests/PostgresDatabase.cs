using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests;

/// <summary>
/// A database of its own on the PostgreSQL server of ConnectionStrings__Postgres, for one test class
/// (<c>IClassFixture&lt;PostgresDatabase&gt;</c>): created as enb_test_&lt;guid&gt; and migrated before the class's
/// first test, dropped WITH (FORCE) after its last. Tests of the class run one at a time; those that need empty
/// tables call <see cref="TruncateAsync"/> first. Without the setting every test using it fails, saying how to start
/// the local services: CI always sets it, so a missing server is an error, never a skip.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public const string EnvironmentVariable = "ConnectionStrings__Postgres";

    private readonly bool _migrate;

    public PostgresDatabase()
        : this(migrate: true)
    {
    }

    private PostgresDatabase(bool migrate)
    {
        _migrate = migrate;
    }

    public string Name { get; } = $"enb_test_{Guid.NewGuid():N}";

    /// <summary>The test database's connection string (the server's, with Database = <see cref="Name"/>).</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>A database left empty, for tests of the migrations themselves; call InitializeAsync and DisposeAsync.</summary>
    public static PostgresDatabase WithoutSchema() => new(migrate: false);

    /// <summary>The configured server's connection string; throws with the commands to run when it is not set.</summary>
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: these tests need the local PostgreSQL. Run `scripts/services.sh up` " +
                "and `eval \"$(scripts/services.sh env)\"` in the shell that runs the tests.");

    public async Task InitializeAsync()
    {
        await ExecuteOnServerAsync($"CREATE DATABASE \"{Name}\"");
        ConnectionString = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = Name }.ConnectionString;
        if (_migrate)
        {
            await using var services = new ServiceCollection().AddPostgresStorage(ConnectionString).BuildServiceProvider();
            await services.GetRequiredService<IRunStore>().MigrateAsync(CancellationToken.None);
        }
    }

    /// <summary>Empties every table of the schema (not the migrations history) and restarts its identities.</summary>
    public async Task TruncateAsync()
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString(ConnectionString));
        await connection.OpenAsync();
        await using var list = new NpgsqlCommand(
            "SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_\\_EF%'",
            connection);
        if (await list.ExecuteScalarAsync() is string tables)
        {
            await using var truncate = new NpgsqlCommand($"TRUNCATE {tables} RESTART IDENTITY CASCADE", connection);
            await truncate.ExecuteNonQueryAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (ConnectionString.Length > 0)
        {
            NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString));
        }

        try
        {
            await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
        {
            // Cleanup is best effort: a backend we may not signal still holds the database. Its name is unique, so
            // the leftover never affects another test (scripts/services.sh reset removes it).
        }
    }

    private static async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString(ServerConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    // Unpooled: an idle pooled connection would keep the test database (or the server's default one) in use.
    private static string AdminConnectionString(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
}
