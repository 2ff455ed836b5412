using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database;
using EfficientNet.Batch.Storage.Database.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>A migrated SQLite file in a fresh temp folder, composed exactly as embedded mode composes it.</summary>
public sealed class EmbeddedDatabase : StorageDatabase
{
    private readonly TempDirectory _folder;

    private EmbeddedDatabase(TempDirectory folder)
        : base(services => services.AddEmbeddedStorage(folder.File("enb.db")))
    {
        _folder = folder;
        FilePath = folder.File("enb.db");
    }

    public string FilePath { get; }

    public static async Task<EmbeddedDatabase> CreateAsync()
    {
        var database = new EmbeddedDatabase(new TempDirectory("enb-storage"));
        await database.Runs.MigrateAsync(CancellationToken.None);
        return database;
    }

    public override BatchDbContext Context() =>
        Services.GetRequiredService<IDbContextFactory<SqliteBatchDbContext>>().CreateDbContext();

    public Task<SqliteConnection> OpenConnectionAsync() =>
        Services.GetRequiredService<SqliteDatabase>().OpenConnectionAsync(CancellationToken.None);

    public override async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        var connectionString = Services.GetRequiredService<SqliteDatabase>().ConnectionString;
        await base.DisposeAsync();
        using (var connection = new SqliteConnection(connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _folder.Dispose();
    }
}
