using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.Database.Postgres;
using EfficientNet.Batch.Storage.Database.Sqlite;
using EfficientNet.Batch.Storage.Embeddings;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace EfficientNet.Batch.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Distributed mode when <paramref name="postgresConnectionString"/> is set (ConnectionStrings__Postgres),
    /// else embedded mode on the SQLite file at <paramref name="sqlitePath"/>.
    /// </summary>
    public static IServiceCollection AddBatchStorage(this IServiceCollection services, string? postgresConnectionString, string sqlitePath) =>
        string.IsNullOrWhiteSpace(postgresConnectionString)
            ? services.AddEmbeddedStorage(sqlitePath)
            : services.AddPostgresStorage(postgresConnectionString);

    /// <summary>
    /// Embedded mode: run state and results in one SQLite file (created, with its folder, by
    /// <see cref="IRunStore.MigrateAsync"/>). Registers <see cref="IRunStore"/>, <see cref="IShardResultWriter"/>,
    /// <see cref="IResultReader"/>, <see cref="IRunInsightsReader"/> and <see cref="IPseudoLabelStore"/> as singletons; each call uses its own
    /// pooled context or connection, so concurrent
    /// shards never share one. Image sources and stores depend on the run: see ImageSourceFactory, ImageStoreFactory.
    /// </summary>
    public static IServiceCollection AddEmbeddedStorage(this IServiceCollection services, string sqlitePath)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (string.IsNullOrWhiteSpace(sqlitePath))
        {
            throw new ArgumentException("the SQLite database path is empty: give a file path such as ./enb.db", nameof(sqlitePath));
        }

        var database = new SqliteDatabase(sqlitePath);
        services.AddSingleton(database);
        services.TryAddSingleton(TimeProvider.System);
        services.AddPooledDbContextFactory<SqliteBatchDbContext>(database.Configure);
        services.AddRunStore<SqliteRunStore>();
        services.AddSingleton<IShardResultWriter, SqliteShardResultWriter>();
        services.AddSingleton<IResultReader, SqliteResultReader>();
        services.AddSingleton<IRunInsightsReader, SqliteRunInsightsReader>();
        services.AddSingleton<IEmbeddingReader, EmbeddingReader<SqliteBatchDbContext>>();
        services.AddSingleton<IPseudoLabelStore>(provider => new PseudoLabelStore(
            new SqlitePseudoLabelDialect(database), provider.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>
    /// Distributed mode: run state and results in PostgreSQL (schema by <see cref="IRunStore.MigrateAsync"/>). The same
    /// four singletons as <see cref="AddEmbeddedStorage"/>, over one <see cref="NpgsqlDataSource"/> (one connection
    /// pool) shared by EF Core and the raw COPY writer, and a second one for exports
    /// (<see cref="PostgresResultReader.DataSourceFor"/>: a larger read buffer, no server-side JIT). Nothing connects until first use. Log
    /// <see cref="PostgresConnectionString.Describe"/>, never the connection string: it holds the password.
    /// </summary>
    public static IServiceCollection AddPostgresStorage(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException(
                $"the PostgreSQL connection string is empty: set {PostgresConnectionString.EnvironmentVariable}", nameof(connectionString));
        }

        var parsed = PostgresConnectionString.Parse(connectionString);
        services.AddSingleton(_ => NpgsqlDataSource.Create(parsed));
        services.TryAddSingleton(TimeProvider.System);

        // No EnableRetryOnFailure: callers retry whole operations (see PostgresShardResultWriter).
        services.AddPooledDbContextFactory<PostgresBatchDbContext>(
            (provider, options) => options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>()));
        services.AddRunStore<PostgresRunStore>();
        services.AddSingleton<IShardResultWriter, PostgresShardResultWriter>();
        services.AddKeyedSingleton(PostgresResultReader.DataSourceKey, (_, _) => PostgresResultReader.DataSourceFor(parsed));
        services.AddSingleton<IResultReader, PostgresResultReader>();
        services.AddSingleton<IRunInsightsReader, PostgresRunInsightsReader>();
        services.AddSingleton<IEmbeddingReader, EmbeddingReader<PostgresBatchDbContext>>();
        services.AddSingleton<IPseudoLabelStore>(provider => new PseudoLabelStore(
            new PostgresPseudoLabelDialect(provider.GetRequiredService<NpgsqlDataSource>()), provider.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>One run store, registered as itself and as each of its audiences' views.</summary>
    private static void AddRunStore<TStore>(this IServiceCollection services)
        where TStore : class, IRunStore
    {
        services.AddSingleton<IRunStore, TStore>();
        services.AddSingleton<IRunPlanStore>(provider => provider.GetRequiredService<IRunStore>());
        services.AddSingleton<IShardLeaseStore>(provider => provider.GetRequiredService<IRunStore>());
        services.AddSingleton<IShardSweepStore>(provider => provider.GetRequiredService<IRunStore>());
        services.AddSingleton<IRunQueries>(provider => provider.GetRequiredService<IRunStore>());
        services.AddSingleton<IDatabaseProbe>(provider => (IDatabaseProbe)provider.GetRequiredService<IRunStore>());
    }
}
