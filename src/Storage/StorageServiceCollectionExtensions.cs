using EfficientNet.Batch.Storage.Database.Sqlite;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EfficientNet.Batch.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Embedded mode: run state and results in one SQLite file (created, with its folder, by
    /// <see cref="IRunStore.MigrateAsync"/>). Registers <see cref="IRunStore"/>, <see cref="IShardResultWriter"/> and
    /// <see cref="IResultReader"/> as singletons; each call uses its own pooled context or connection, so concurrent
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
        services.AddSingleton<IRunStore, SqliteRunStore>();
        services.AddSingleton<IShardResultWriter, SqliteShardResultWriter>();
        services.AddSingleton<IResultReader, SqliteResultReader>();
        return services;
    }
}
