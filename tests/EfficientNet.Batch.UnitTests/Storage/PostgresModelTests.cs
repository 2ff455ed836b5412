using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Entities;
using EfficientNet.Batch.Storage.Database.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EfficientNet.Batch.UnitTests.Storage;

/// <summary>The PostgreSQL model and migrations, built without a server (the design-time factory's placeholder connection).</summary>
public sealed class PostgresModelTests : IDisposable
{
    private readonly PostgresBatchDbContext _context = new PostgresDesignTimeContextFactory().CreateDbContext([]);

    public void Dispose() => _context.Dispose();

    [Theory]
    [InlineData(typeof(PredictionEntity), nameof(PredictionEntity.TopIndices), "integer[]")]
    [InlineData(typeof(PredictionEntity), nameof(PredictionEntity.TopProbabilities), "real[]")]
    [InlineData(typeof(ShardEntity), nameof(ShardEntity.ImageIds), "bigint[]")]
    [InlineData(typeof(ShardEntity), nameof(ShardEntity.CreatedAt), "timestamp with time zone")]
    [InlineData(typeof(RunEntity), nameof(RunEntity.PlanningCompletedAt), "timestamp with time zone")]
    [InlineData(typeof(RunEntity), nameof(RunEntity.Id), "uuid")]
    public void Arrays_are_native_and_timestamps_carry_their_zone(Type entity, string property, string columnType)
    {
        var mapped = _context.Model.FindEntityType(entity)!.FindProperty(property)!;

        Assert.Equal(columnType, mapped.GetColumnType());
        Assert.Null(mapped.GetValueConverter());
    }

    [Fact]
    public void Embeddings_are_float16_bytes_read_as_floats()
    {
        var mapped = _context.Model.FindEntityType(typeof(PredictionEntity))!.FindProperty(nameof(PredictionEntity.Embedding))!;

        Assert.Equal("bytea", mapped.GetColumnType());
        Assert.IsType<Float16BlobConverter>(mapped.GetValueConverter());
    }

    [Fact]
    public void The_postgres_migrations_match_the_model()
    {
        Assert.False(
            _context.Database.HasPendingModelChanges(),
            "the model changed: run dotnet ef migrations add <Name> --project src/Storage --context PostgresBatchDbContext --output-dir Migrations/Postgres");
    }

    [Fact]
    public void The_migrations_store_embeddings_uncompressed_out_of_line()
    {
        var migrations = _context.GetService<IMigrationsAssembly>();
        var operations = migrations.Migrations.Values
            .Select(type => migrations.CreateMigration(type, _context.Database.ProviderName!))
            .SelectMany(migration => migration.UpOperations)
            .ToList();

        Assert.Contains(
            operations.OfType<SqlOperation>(),
            op => op.Sql.Contains("ALTER COLUMN embedding SET STORAGE EXTERNAL", StringComparison.Ordinal));
    }
}
