using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace EfficientNet.Batch.Storage.Database.Postgres;

/// <summary>
/// Lets <c>dotnet ef migrations add &lt;Name&gt; --context PostgresBatchDbContext --output-dir Migrations/Postgres</c>
/// build the model without a host or a server (generating a migration opens no connection). <c>dotnet ef database
/// update</c> uses <c>ConnectionStrings__Postgres</c> from the environment.
/// </summary>
public sealed class PostgresDesignTimeContextFactory : IDesignTimeDbContextFactory<PostgresBatchDbContext>
{
    private const string Placeholder = "Host=localhost;Database=enb;Username=enb";

    public PostgresBatchDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable(PostgresConnectionString.EnvironmentVariable);
        var options = new DbContextOptionsBuilder<PostgresBatchDbContext>();
        options.UseNpgsql(string.IsNullOrWhiteSpace(connectionString) ? Placeholder : connectionString);
        return new PostgresBatchDbContext(options.Options);
    }
}
