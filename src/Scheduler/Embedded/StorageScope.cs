using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Embedded;

/// <summary>The database alone, for commands that read results and run no pipeline (runs, export).</summary>
public sealed class StorageScope : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private StorageScope(ServiceProvider services) => _services = services;

    public IRunStore Runs => _services.GetRequiredService<IRunStore>();

    public IResultReader Results => _services.GetRequiredService<IResultReader>();

    /// <summary>Opens an existing embedded database; a missing file is an input error, not an empty database.</summary>
    public static async Task<StorageScope> OpenAsync(string databasePath, CancellationToken cancellationToken)
    {
        if (!File.Exists(databasePath))
        {
            throw new Cli.CliException($"database not found: {Path.GetFullPath(databasePath)} (run 'label' first, or pass --db)");
        }

        var services = new ServiceCollection().AddLogging().AddEmbeddedStorage(Path.GetFullPath(databasePath)).BuildServiceProvider();
        var scope = new StorageScope(services);
        await scope.Runs.MigrateAsync(cancellationToken);
        return scope;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
