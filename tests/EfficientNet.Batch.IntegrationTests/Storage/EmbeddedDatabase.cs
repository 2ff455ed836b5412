using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage;
using EfficientNet.Batch.Storage.Database.Sqlite;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>A migrated SQLite file in a fresh temp folder, composed exactly as embedded mode composes it.</summary>
public sealed class EmbeddedDatabase : IAsyncDisposable
{
    private readonly TempDirectory folder = new("enb-storage");
    private readonly ServiceProvider services;

    private EmbeddedDatabase()
    {
        FilePath = folder.File("enb.db");
        services = new ServiceCollection().AddEmbeddedStorage(FilePath).BuildServiceProvider();
    }

    public string FilePath { get; }

    public IRunStore Runs => services.GetRequiredService<IRunStore>();

    public IShardResultWriter Writer => services.GetRequiredService<IShardResultWriter>();

    public IResultReader Reader => services.GetRequiredService<IResultReader>();

    public static async Task<EmbeddedDatabase> CreateAsync()
    {
        var database = new EmbeddedDatabase();
        await database.Runs.MigrateAsync(CancellationToken.None);
        return database;
    }

    public SqliteBatchDbContext Context() =>
        services.GetRequiredService<IDbContextFactory<SqliteBatchDbContext>>().CreateDbContext();

    public Task<SqliteConnection> OpenConnectionAsync() =>
        services.GetRequiredService<SqliteDatabase>().OpenConnectionAsync(CancellationToken.None);

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    /// <summary>A model and a run in status Running over the given source.</summary>
    public async Task<RunInfo> StartRunAsync(string name = "run", string source = "/photos", bool running = true)
    {
        var model = await Runs.EnsureModelAsync("efficientnet_b0", "file:///models/b0.onnx", Sha(name), "{}", ["tench", "goldfish"], CancellationToken.None);
        var run = await Runs.CreateRunAsync(
            new NewRun(name, RunKind.Label, model, source, TopK: 5, StoreEmbeddings: true, ErrorBudget: 0.1, ShardSize: 256),
            CancellationToken.None);
        if (running)
        {
            await Runs.SetRunStatusAsync(run.Id, RunStatus.Running, null, CancellationToken.None);
        }

        return run;
    }

    public Task<PlannedShard> AddShardAsync(RunInfo run, params string[] keys) =>
        Runs.AddShardAsync(run.Id, run.Source, keys, CancellationToken.None);

    public static ImagePrediction Prediction(long imageId, float top = 0.9f, int embeddingLength = 0) => new(
        imageId,
        [7, 3, 1],
        [top, (1 - top) * 0.6f, (1 - top) * 0.3f],
        embeddingLength == 0 ? null : Enumerable.Range(0, embeddingLength).Select(i => i * 0.001f + imageId).ToArray());

    public async ValueTask DisposeAsync()
    {
        var connectionString = services.GetRequiredService<SqliteDatabase>().ConnectionString;
        await services.DisposeAsync();
        using (var connection = new SqliteConnection(connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        folder.Dispose();
    }

    private static string Sha(string seed) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)));
}
