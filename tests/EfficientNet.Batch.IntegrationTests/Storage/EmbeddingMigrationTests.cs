using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Postgres;
using EfficientNet.Batch.Storage.Database.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>
/// Old databases migrate: embeddings written as float32 (real[] on PostgreSQL, a float32 BLOB on SQLite) before the
/// EmbeddingsFloat16 migration read back afterwards as exactly the float16 values <see cref="Float16Blob"/> makes of
/// them (round to nearest, ties to even, subnormals, overflow to infinity).
/// </summary>
public abstract class EmbeddingMigrationTests
{
    protected const string Before = "PseudoLabels";
    protected const string RunId = "00000000-0000-7000-8000-000000000001";

    /// <summary>Values that test the rounding: ties both ways, float16 subnormals and underflow, its largest value and beyond.</summary>
    protected static readonly float[] Tricky =
    [
        0f, 1f, -2.5f, 0.1f, 1.00048828125f, 1.00146484375f, 65504f, 65519.99f, 65520f, -1e6f, 1e-8f, 3e-8f, 6e-5f, 3.1415927f,
        2.9802322e-8f, 8.940697e-8f, -0.33333334f, 1234.567f,
    ];

    protected static float[] Embedding(int image) =>
        [.. Tricky, .. Enumerable.Range(0, 1280 - Tricky.Length).Select(i => MathF.Sin((i * 7) + image) * (1 + (i % 13)))];

    protected static void AssertStoredAsFloat16(IEnumerable<(long ImageId, float[]? Embedding)> rows)
    {
        var read = rows.OrderBy(r => r.ImageId).ToList();
        Assert.Equal(3, read.Count);
        Assert.Equal(Float16Blob.ToFloats(Float16Blob.ToBytes(Embedding(1))), read[0].Embedding);
        Assert.Equal(Float16Blob.ToFloats(Float16Blob.ToBytes(Embedding(2))), read[1].Embedding);
        Assert.Null(read[2].Embedding);
        Assert.Equal(float.PositiveInfinity, read[0].Embedding![8]);
        Assert.Equal(65504f, read[0].Embedding![7]);
    }

    protected static async Task<List<(long, float[]?)>> ReadThroughEfCoreAsync(BatchDbContext context) =>
        (await context.Predictions.Select(p => new { p.ImageId, p.Embedding }).ToListAsync()).Select(p => (p.ImageId, p.Embedding)).ToList();
}

public sealed class SqliteEmbeddingMigrationTests : EmbeddingMigrationTests
{
    [Fact]
    public async Task Float32_embeddings_of_an_old_file_become_float16_and_read_back_through_ef_core()
    {
        using var folder = new TempDirectory("enb-migrate");
        var path = folder.File("old.db");
        await using var services = new ServiceCollection().AddEmbeddedStorage(path).BuildServiceProvider();
        var factory = services.GetRequiredService<IDbContextFactory<SqliteBatchDbContext>>();
        await services.GetRequiredService<SqliteDatabase>().PrepareFileAsync(CancellationToken.None);
        await using (var context = await factory.CreateDbContextAsync())
        {
            await context.GetService<IMigrator>().MigrateAsync(Before);
        }

        await using (var connection = await services.GetRequiredService<SqliteDatabase>().OpenConnectionAsync(CancellationToken.None))
        {
            await ExecuteAsync(connection, $"""
                INSERT INTO models (name, uri, sha256, spec_json, created_at) VALUES ('old', 'file:///old.onnx', '{new string('a', 64)}', '{"{}"}', '2026-01-01 00:00:00');
                INSERT INTO runs (id, name, kind, model_id, source, status, top_k, store_embeddings, store_full_distribution, error_budget, shard_size, created_at)
                VALUES ('{RunId}', 'old', 'label', 1, '/old', 'completed', 1, 1, 0, 0.1, 256, '2026-01-01 00:00:00');
                INSERT INTO images (id, source, key) VALUES (1, '/old', 'a.jpg'), (2, '/old', 'b.jpg'), (3, '/old', 'c.jpg');
                """);
            for (var image = 1; image <= 3; image++)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO predictions (run_id, image_id, top_indices, top_probabilities, embedding, created_at) VALUES ($run, $image, $i, $p, $e, '2026-01-01 00:00:00')";
                insert.Parameters.AddWithValue("$run", RunId);
                insert.Parameters.AddWithValue("$image", image);
                insert.Parameters.AddWithValue("$i", ArrayBlob.ToBytes<int>([0]));
                insert.Parameters.AddWithValue("$p", ArrayBlob.ToBytes<float>([1f]));
                insert.Parameters.AddWithValue("$e", image == 3 ? DBNull.Value : ArrayBlob.ToBytes<float>(Embedding(image)));
                await insert.ExecuteNonQueryAsync();
            }
        }

        await using (var context = await factory.CreateDbContextAsync())
        {
            await context.Database.MigrateAsync();
            AssertStoredAsFloat16(await ReadThroughEfCoreAsync(context));
        }

        SqliteConnection.ClearAllPools();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

public sealed class PostgresEmbeddingMigrationTests : EmbeddingMigrationTests
{
    [Fact]
    public async Task Real_array_embeddings_of_an_old_database_become_float16_bytes_and_migrating_down_restores_real_arrays()
    {
        var database = PostgresDatabase.WithoutSchema();
        await database.InitializeAsync();
        try
        {
            await using var services = new ServiceCollection().AddPostgresStorage(database.ConnectionString).BuildServiceProvider();
            var factory = services.GetRequiredService<IDbContextFactory<PostgresBatchDbContext>>();
            await using (var context = await factory.CreateDbContextAsync())
            {
                await context.GetService<IMigrator>().MigrateAsync(Before);
            }

            await using (var connection = new NpgsqlConnection(database.ConnectionString))
            {
                await connection.OpenAsync();
                await ExecuteAsync(connection, $"""
                    INSERT INTO models (name, uri, sha256, spec_json, created_at) VALUES ('old', 'file:///old.onnx', repeat('a', 64), '{"{}"}', now());
                    INSERT INTO runs (id, name, kind, model_id, source, status, top_k, store_embeddings, store_full_distribution, error_budget, shard_size, created_at)
                    VALUES ('{RunId}', 'old', 'label', 1, '/old', 'completed', 1, true, false, 0.1, 256, now());
                    INSERT INTO images (id, source, key) VALUES (1, '/old', 'a.jpg'), (2, '/old', 'b.jpg'), (3, '/old', 'c.jpg');
                    """);
                for (var image = 1; image <= 3; image++)
                {
                    await using var insert = new NpgsqlCommand(
                        "INSERT INTO predictions (run_id, image_id, top_indices, top_probabilities, embedding, created_at) VALUES ($1, $2, '{0}', '{1}', $3, now())",
                        connection);
                    insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.Parse(RunId) });
                    insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = image });
                    insert.Parameters.Add(new NpgsqlParameter<float[]?> { TypedValue = image == 3 ? null : Embedding(image) });
                    await insert.ExecuteNonQueryAsync();
                }
            }

            await using (var context = await factory.CreateDbContextAsync())
            {
                await context.Database.MigrateAsync();
                AssertStoredAsFloat16(await ReadThroughEfCoreAsync(context));
                Assert.Equal("e", await ScalarAsync(database.ConnectionString, "SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'predictions'::regclass AND attname = 'embedding'"));

                await context.GetService<IMigrator>().MigrateAsync(Before);
            }

            Assert.Equal("_float4", await ScalarAsync(database.ConnectionString, "SELECT udt_name::text FROM information_schema.columns WHERE table_name = 'predictions' AND column_name = 'embedding'"));
            await using (var connection = new NpgsqlConnection(database.ConnectionString))
            {
                await connection.OpenAsync();
                await using var read = new NpgsqlCommand("SELECT embedding FROM predictions WHERE image_id = 2", connection);
                Assert.Equal(Float16Blob.ToFloats(Float16Blob.ToBytes(Embedding(2))), (float[])(await read.ExecuteScalarAsync())!);
            }
        }
        finally
        {
            await database.DisposeAsync();
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}
