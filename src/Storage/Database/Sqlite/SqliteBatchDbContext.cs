using EfficientNet.Batch.Storage.Database.Conversions;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.Storage.Database.Sqlite;

/// <summary>
/// The embedded-mode schema on SQLite; its migrations live in Migrations/Sqlite. SQLite has no array type, so
/// arrays become BLOBs of little-endian elements; timestamps are UTC text.
/// </summary>
public sealed class SqliteBatchDbContext : BatchDbContext
{
    public SqliteBatchDbContext(DbContextOptions<SqliteBatchDbContext> options)
        : base(options)
    {
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<int[]>().HaveConversion<ArrayToBlobConverter<int>, ArrayContentComparer<int>>();
        configurationBuilder.Properties<long[]>().HaveConversion<ArrayToBlobConverter<long>, ArrayContentComparer<long>>();
        configurationBuilder.Properties<float[]>().HaveConversion<ArrayToBlobConverter<float>, ArrayContentComparer<float>>();
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }
}
