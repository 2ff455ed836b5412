using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Database;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Insights;
using EfficientNet.Batch.Storage.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>
/// A migrated, empty database composed as its mode composes it (<see cref="EmbeddedDatabase"/>: SQLite;
/// <see cref="DistributedDatabase"/>: PostgreSQL), so one contract test runs against both providers.
/// </summary>
public abstract class StorageDatabase : IAsyncDisposable
{
    protected StorageDatabase(Func<IServiceCollection, IServiceCollection> addStorage)
    {
        Services = addStorage(new ServiceCollection().AddSingleton<TimeProvider>(Clock)).BuildServiceProvider();
    }

    /// <summary>The time every store and writer of this database reads; <see cref="ManualClock.Advance"/> expires leases.</summary>
    public ManualClock Clock { get; } = new();

    public IRunStore Runs => Services.GetRequiredService<IRunStore>();

    public IShardResultWriter Writer => Services.GetRequiredService<IShardResultWriter>();

    public IResultReader Reader => Services.GetRequiredService<IResultReader>();

    public IRunInsightsReader Insights => Services.GetRequiredService<IRunInsightsReader>();

    public ServiceProvider Services { get; }

    public abstract BatchDbContext Context();

    /// <summary>The first column of the first row of a query (COUNT(*) is a long on both providers).</summary>
    public abstract Task<object?> ScalarAsync(string sql);

    /// <summary>A model and a run in status Running over the given source.</summary>
    public async Task<RunInfo> StartRunAsync(string name = "run", string source = "/photos", bool running = true, string? modelSeed = null)
    {
        var model = await Runs.EnsureModelAsync("efficientnet_b0", "file:///models/b0.onnx", Sha(modelSeed ?? name), "{}", ["tench", "goldfish"], CancellationToken.None);
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

    /// <summary>
    /// Compares every stored prediction of a run with what the results wrote: one row per image, top-k and embedding
    /// bit for bit. Returns null when they agree, else the number of differences and the first one.
    /// </summary>
    public async Task<string?> DifferencesFromAsync(Guid runId, IEnumerable<ShardResult> written)
    {
        var expected = written.SelectMany(r => r.Predictions).ToDictionary(p => p.ImageId);
        var seen = new HashSet<long>();
        var differences = new List<string>();
        await using var context = Context();
        await foreach (var stored in context.Predictions.AsNoTracking().Where(p => p.RunId == runId).AsAsyncEnumerable())
        {
            if (!seen.Add(stored.ImageId))
            {
                differences.Add($"image {stored.ImageId} has more than one row");
            }
            else if (!expected.TryGetValue(stored.ImageId, out var prediction))
            {
                differences.Add($"image {stored.ImageId} has a row nobody wrote");
            }
            else if (!stored.TopIndices.SequenceEqual(prediction.TopIndices) || !stored.TopProbabilities.SequenceEqual(prediction.TopProbabilities)
                || !(stored.Embedding ?? []).SequenceEqual(AsStored(prediction.Embedding) ?? []))
            {
                differences.Add($"image {stored.ImageId} reads back different values");
            }
        }

        differences.AddRange(expected.Keys.Where(id => !seen.Contains(id)).Select(id => $"image {id} has no row"));
        return differences.Count == 0 ? null : $"{differences.Count} differences, first: {differences[0]}";
    }

    /// <summary>An embedding as the database keeps it: every value rounded to float16 (Float16Blob).</summary>
    public static float[]? AsStored(float[]? embedding) =>
        embedding is null ? null : Float16Blob.ToFloats(Float16Blob.ToBytes(embedding));

    public virtual async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static string Sha(string seed) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)));
}
