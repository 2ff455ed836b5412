using System.Diagnostics;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Storage;

[CollectionDefinition(nameof(StorageThroughput), DisableParallelization = true)]
public sealed class StorageThroughput;

/// <summary>
/// A measurement, not a timed assertion: rows/s land in the test output (dotnet test --logger
/// "console;verbosity=detailed"). It runs alone, after the parallel tests, so they do not skew it.
/// </summary>
[Collection(nameof(StorageThroughput))]
public sealed class SqliteShardResultWriterThroughputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Shards = 40;
    private const int ShardSize = 256;
    private EmbeddedDatabase database = null!;

    public async Task InitializeAsync() => database = await EmbeddedDatabase.CreateAsync();

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Writer_throughput_with_1280_float_embeddings_is_logged()
    {
        var run = await database.StartRunAsync();
        var results = new List<ShardResult>();
        for (var s = 0; s < Shards; s++)
        {
            var shard = await database.AddShardAsync(run, Enumerable.Range(0, ShardSize).Select(i => $"{s:D3}/{i:D4}.jpg").ToArray());
            results.Add(new ShardResult(
                run.Id,
                shard.ShardId,
                shard.Items.Select(i => EmbeddedDatabase.Prediction(i.ImageId, embeddingLength: 1280)).ToList(),
                [],
                "w"));
        }

        await database.Writer.WriteAsync(results[0], CancellationToken.None);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        foreach (var result in results.Skip(1))
        {
            await database.Writer.WriteAsync(result, CancellationToken.None);
        }

        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var rows = (Shards - 1) * ShardSize;
        output.WriteLine(
            $"{rows} prediction rows (top-5 + 1280-float embedding) in {Shards - 1} shard transactions: " +
            $"{clock.Elapsed.TotalMilliseconds:F0} ms, {rows / clock.Elapsed.TotalSeconds:F0} rows/s " +
            $"({rows / cpu.TotalSeconds:F0} rows per process CPU-second; load average {LoadAverage()})");
        Assert.Equal((long)Shards * ShardSize, await database.ScalarAsync("SELECT COUNT(*) FROM predictions"));
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
