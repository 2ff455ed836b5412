using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Scheduler.Embeddings;
using EfficientNet.Batch.Storage.Embeddings;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>The database alone, for commands that read results and run no pipeline (runs, export).</summary>
public sealed class StorageScope : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private StorageScope(ServiceProvider services) => _services = services;

    public IRunStore Runs => _services.GetRequiredService<IRunStore>();

    public IResultReader Results => _services.GetRequiredService<IResultReader>();

    public IRunInsightsReader Insights => _services.GetRequiredService<IRunInsightsReader>();
    public IPseudoLabelStore PseudoLabels => _services.GetRequiredService<IPseudoLabelStore>();

    /// <summary>A run's embeddings: counted, streamed, indexed.</summary>
    public RunEmbeddings Embeddings => new(Runs, _services.GetRequiredService<IEmbeddingReader>());

    /// <summary>
    /// Opens the job database and applies pending migrations. A missing SQLite file is an input error, not an empty
    /// database (unless <paramref name="create"/>); an unreachable server is reported in one line.
    /// </summary>
    public static async Task<StorageScope> OpenAsync(DatabaseChoice database, CancellationToken cancellationToken, bool create = false)
    {
        if (!database.IsPostgres && !create && !File.Exists(database.SqlitePath))
        {
            throw new CliException($"database not found: {database.SqlitePath} (run 'label' first, or pass --db or --postgres)");
        }

        var services = new ServiceCollection().AddLogging();
        database.AddTo(services);
        var scope = new StorageScope(services.BuildServiceProvider());
        try
        {
            await MigrateAsync(scope.Runs, database, cancellationToken);
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }

        return scope;
    }

    /// <summary>Applies pending migrations; an unreachable or refusing database becomes one line naming it (never its credentials).</summary>
    public static async Task MigrateAsync(IRunStore runs, DatabaseChoice database, CancellationToken cancellationToken)
    {
        try
        {
            await runs.MigrateAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CliException($"cannot open the database {database}: {SecretRedactor.Redact(e.GetBaseException().Message)}");
        }
    }

    /// <summary>The run named by an id, a name or "latest"; a CLI error naming what did not match otherwise.</summary>
    public async Task<RunInfo> FindRunAsync(string idOrName, CancellationToken cancellationToken) =>
        await Runs.FindRunAsync(idOrName, cancellationToken) ?? throw new CliException($"no run matches '{idOrName}' (see 'runs')");

    /// <summary>The pseudo-label set named by a name or id; a CLI error naming what did not match otherwise.</summary>
    public async Task<PseudoLabelSetInfo> FindSetAsync(string nameOrId, CancellationToken cancellationToken) =>
        await PseudoLabels.FindSetAsync(nameOrId, cancellationToken)
            ?? throw new CliException($"no pseudo-label set matches '{nameOrId}' (see 'pseudo-label sets')");

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
