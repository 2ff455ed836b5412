using System.Diagnostics;
using EfficientNet.Batch.Results;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>The storage tests at scale run alone, after the parallel tests, so their printed rates are not skewed.</summary>
[CollectionDefinition(nameof(StorageAtScale), DisableParallelization = true)]
public sealed class StorageAtScale;

/// <summary>
/// The SQLite result writer at the size of a real run: thousands of rows with 1280-float embeddings, and redelivered
/// shards, land once each and read back exactly. The rows/s it prints are information, not asserted (shared machines
/// are noisy); tools/bench-writers.sh collects them.
/// </summary>
[Collection(nameof(StorageAtScale))]
public sealed class SqliteResultWriterAtScaleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Shards = 40;
    private const int ShardSize = 256;
    private EmbeddedDatabase _database = null!;

    public async Task InitializeAsync() => _database = await EmbeddedDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Forty_shards_of_256_rows_with_embeddings_land_once_each_and_read_back_exactly_even_when_redelivered()
    {
        var run = await _database.StartRunAsync();
        var results = new List<ShardResult>();
        for (var s = 0; s < Shards; s++)
        {
            var shard = await _database.AddShardAsync(run, Enumerable.Range(0, ShardSize).Select(i => $"{s:D3}/{i:D4}.jpg").ToArray());
            results.Add(new ShardResult(
                run.Id,
                shard.ShardId,
                shard.Items.Select(i => EmbeddedDatabase.Prediction(i.ImageId, embeddingLength: 1280)).ToList(),
                [],
                "w"));
        }

        await _database.Writer.WriteAsync(results[0], CancellationToken.None);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        foreach (var result in results.Skip(1))
        {
            await _database.Writer.WriteAsync(result, CancellationToken.None);
        }

        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var rows = (Shards - 1) * ShardSize;
        output.WriteLine(
            $"RATE sqlite-writer {rows} prediction rows (top-5 + 1280-d float16 embedding) in {Shards - 1} shard transactions: " +
            $"{clock.Elapsed.TotalMilliseconds:F0} ms, {rows / clock.Elapsed.TotalSeconds:F0} rows/s " +
            $"({rows / cpu.TotalSeconds:F0} rows per process CPU-second; load average {LoadAverage()})");

        foreach (var redelivered in results.Take(5))
        {
            await _database.Writer.WriteAsync(redelivered, CancellationToken.None);
        }

        Assert.Equal((long)Shards * ShardSize, await _database.ScalarAsync("SELECT COUNT(*) FROM predictions"));
        Assert.Null(await _database.DifferencesFromAsync(run.Id, results));
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
