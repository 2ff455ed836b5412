using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EfficientNet.Batch.Storage.Database.Sqlite;

/// <summary>
/// Lets <c>dotnet ef migrations add &lt;Name&gt; --context SqliteBatchDbContext --output-dir Migrations/Sqlite</c>
/// build the model without a host. An optional argument after <c>--</c> names the database file (for
/// <c>dotnet ef database update</c>).
/// </summary>
public sealed class SqliteDesignTimeContextFactory : IDesignTimeDbContextFactory<SqliteBatchDbContext>
{
    public SqliteBatchDbContext CreateDbContext(string[] args)
    {
        var path = args.Length > 0 ? args[0] : "efficientnet-batch.db";
        var options = new DbContextOptionsBuilder<SqliteBatchDbContext>();
        new SqliteDatabase(path).Configure(options);
        return new SqliteBatchDbContext(options.Options);
    }
}
