using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database.Postgres;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public sealed class PostgresMigrationTests(PostgresDatabase postgres) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Migrations_create_every_table_in_an_empty_database_and_a_second_run_changes_nothing()
    {
        var empty = PostgresDatabase.WithoutSchema();
        await empty.InitializeAsync();
        try
        {
            await using var services = new ServiceCollection().AddPostgresStorage(empty.ConnectionString).BuildServiceProvider();
            var runs = services.GetRequiredService<IRunStore>();

            await runs.MigrateAsync(CancellationToken.None);
            await runs.MigrateAsync(CancellationToken.None);

            Assert.Equal(["failures", "images", "models", "predictions", "pseudo_label_classes", "pseudo_label_sets", "pseudo_labels", "runs", "shards"], await ListAsync(
                empty.ConnectionString, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_\\_EF%' ORDER BY 1"));
            await using var context = await services.GetRequiredService<IDbContextFactory<PostgresBatchDbContext>>().CreateDbContextAsync();
            Assert.Empty(await context.Database.GetPendingMigrationsAsync());
        }
        finally
        {
            await empty.DisposeAsync();
        }
    }

    [Fact]
    public async Task Services_starting_together_migrate_an_empty_database_once()
    {
        var empty = PostgresDatabase.WithoutSchema();
        await empty.InitializeAsync();
        try
        {
            var providers = Enumerable.Range(0, 3)
                .Select(_ => new ServiceCollection().AddPostgresStorage(empty.ConnectionString).BuildServiceProvider())
                .ToList();

            await Task.WhenAll(providers.Select(p => Task.Run(() => p.GetRequiredService<IRunStore>().MigrateAsync(CancellationToken.None))));

            var migrations = new ServiceCollection().AddPostgresStorage(empty.ConnectionString).BuildServiceProvider()
                .GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<EfficientNet.Batch.Storage.Database.Postgres.PostgresBatchDbContext>>()
                .CreateDbContext().Database.GetMigrations().Count();
            Assert.Equal([migrations.ToString(System.Globalization.CultureInfo.InvariantCulture)], await ListAsync(empty.ConnectionString, "SELECT count(*)::text FROM \"__EFMigrationsHistory\""));
            foreach (var provider in providers)
            {
                await provider.DisposeAsync();
            }
        }
        finally
        {
            await empty.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("predictions", "top_indices", "_int4")]
    [InlineData("predictions", "top_probabilities", "_float4")]
    [InlineData("predictions", "embedding", "bytea")]
    [InlineData("shards", "image_ids", "_int8")]
    [InlineData("runs", "planning_completed_at", "timestamptz")]
    [InlineData("shards", "created_at", "timestamptz")]
    [InlineData("runs", "id", "uuid")]
    public async Task Arrays_are_native_and_timestamps_carry_their_zone(string table, string column, string type)
    {
        var types = await ListAsync(
            postgres.ConnectionString,
            $"SELECT udt_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' AND column_name = '{column}'");

        Assert.Equal([type], types);
    }

    [Fact]
    public async Task Embeddings_and_full_distributions_are_stored_out_of_line_without_compression()
    {
        // 'e' = EXTERNAL: no pglz attempt on float noise (docs: ENVIRONMENT "Measured throughput", 1.6x faster COPY).
        var storage = await ListAsync(
            postgres.ConnectionString,
            "SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'predictions'::regclass AND attname IN ('embedding', 'full_probabilities') ORDER BY attname");

        Assert.Equal(["e", "e"], storage);
    }

    private static async Task<List<string>> ListAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
