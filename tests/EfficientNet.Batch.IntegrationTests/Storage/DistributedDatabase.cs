using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database;
using EfficientNet.Batch.Storage.Database.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>The test class's PostgreSQL database (see <see cref="PostgresDatabase"/>), emptied, composed as distributed mode composes it.</summary>
public sealed class DistributedDatabase : StorageDatabase
{
    private DistributedDatabase(PostgresDatabase database)
        : base(services => services.AddPostgresStorage(database.ConnectionString))
    {
        Database = database;
    }

    public PostgresDatabase Database { get; }

    public NpgsqlDataSource DataSource => Services.GetRequiredService<NpgsqlDataSource>();

    public static async Task<DistributedDatabase> CreateAsync(PostgresDatabase database)
    {
        await database.TruncateAsync();
        return new DistributedDatabase(database);
    }

    public override BatchDbContext Context() =>
        Services.GetRequiredService<IDbContextFactory<PostgresBatchDbContext>>().CreateDbContext();

    public override async Task<object?> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
