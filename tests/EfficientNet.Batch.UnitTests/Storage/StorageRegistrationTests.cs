using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database.Postgres;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EfficientNet.Batch.UnitTests.Storage;

/// <summary>Which storage the composition picks; registering opens no connection and touches no file.</summary>
public sealed class StorageRegistrationTests
{
    private const string Postgres = "Host=db.internal;Port=6432;Database=enb;Username=enb;Password=s3cret-pw";

    [Fact]
    public void A_postgres_connection_string_selects_distributed_storage()
    {
        using var services = new ServiceCollection().AddBatchStorage(Postgres, "unused.db").BuildServiceProvider();

        Assert.IsType<PostgresRunStore>(services.GetRequiredService<IRunStore>());
        Assert.IsType<PostgresShardResultWriter>(services.GetRequiredService<IShardResultWriter>());
        Assert.IsType<PostgresResultReader>(services.GetRequiredService<IResultReader>());
    }

    [Theory]
    [InlineData("", 1 << 20, "-c jit=off")]
    [InlineData(";Read Buffer Size=4194304;Options=-c statement_timeout=60s", 4 << 20, "-c statement_timeout=60s -c jit=off")]
    public void Exports_read_through_their_own_pool_with_a_large_read_buffer_and_the_servers_jit_off(string extra, int buffer, string options)
    {
        using var services = new ServiceCollection().AddBatchStorage(Postgres + extra, "unused.db").BuildServiceProvider();

        var export = new NpgsqlConnectionStringBuilder(
            services.GetRequiredKeyedService<NpgsqlDataSource>(PostgresResultReader.DataSourceKey).ConnectionString);
        Assert.Equal((buffer, options), (export.ReadBufferSize, export.Options));
        Assert.NotSame(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredKeyedService<NpgsqlDataSource>(PostgresResultReader.DataSourceKey));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Without_a_postgres_connection_string_storage_is_the_embedded_sqlite_file(string? postgres)
    {
        using var services = new ServiceCollection().AddBatchStorage(postgres, Path.Combine(Path.GetTempPath(), "never-created.db")).BuildServiceProvider();

        Assert.IsType<SqliteRunStore>(services.GetRequiredService<IRunStore>());
        Assert.IsType<SqliteShardResultWriter>(services.GetRequiredService<IShardResultWriter>());
        Assert.IsType<SqliteResultReader>(services.GetRequiredService<IResultReader>());
    }

    [Fact]
    public void A_connection_string_is_described_by_host_port_and_database_only()
    {
        Assert.Equal("db.internal:6432/enb", PostgresConnectionString.Describe(Postgres));
    }

    [Fact]
    public void A_malformed_connection_string_is_refused_naming_the_setting_not_echoing_it()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Parse("Host=db;Password=s3cret-pw;Bogus Key=1"));

        Assert.Contains(PostgresConnectionString.EnvironmentVariable, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }
}
