using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Entities;
using EfficientNet.Batch.Storage.Database.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace EfficientNet.Batch.UnitTests.Storage;

/// <summary>The SQLite model, built without opening a connection.</summary>
public sealed class SqliteModelTests : IDisposable
{
    private readonly SqliteBatchDbContext _context = new SqliteDesignTimeContextFactory().CreateDbContext([]);

    public void Dispose() => _context.Dispose();

    [Theory]
    [InlineData(typeof(PredictionEntity), nameof(PredictionEntity.TopIndices))]
    [InlineData(typeof(PredictionEntity), nameof(PredictionEntity.TopProbabilities))]
    [InlineData(typeof(PredictionEntity), nameof(PredictionEntity.Embedding))]
    [InlineData(typeof(ShardEntity), nameof(ShardEntity.ImageIds))]
    public void Arrays_are_blob_columns_on_sqlite(Type entity, string property)
    {
        var mapped = _context.Model.FindEntityType(entity)!.FindProperty(property)!;

        Assert.Equal("BLOB", mapped.GetColumnType());
        Assert.NotNull(mapped.GetValueConverter());
    }

    [Fact]
    public void Embeddings_are_float16_blobs_like_on_postgres()
    {
        var mapped = _context.Model.FindEntityType(typeof(PredictionEntity))!.FindProperty(nameof(PredictionEntity.Embedding))!;

        Assert.IsType<Float16BlobConverter>(mapped.GetValueConverter());
    }

    [Fact]
    public void Tables_and_columns_are_snake_case()
    {
        var names = _context.Model.GetEntityTypes()
            .SelectMany(e => e.GetProperties().Select(p => p.GetColumnName(StoreObjectIdentifier.Table(e.GetTableName()!))))
            .Concat(_context.Model.GetEntityTypes().Select(e => e.GetTableName()))
            .ToList();

        Assert.All(names, name => Assert.Matches("^[a-z0-9_]+$", name));
        Assert.Contains("status_reason", names);
        Assert.Contains("top_probabilities", names);
    }

    [Fact]
    public void The_sqlite_migrations_match_the_model()
    {
        Assert.False(
            _context.Database.HasPendingModelChanges(),
            "the model changed: run dotnet ef migrations add <Name> --project src/Storage --context SqliteBatchDbContext --output-dir Migrations/Sqlite");
    }
}
