using System.Diagnostics;
using EfficientNet.Batch.Results;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>
/// PostgreSQL storage at the size of a real run: the result writer (binary COPY of the rows a shard does not
/// have yet) with one and with four concurrent writers and redelivered shards, and planning of 400 shards
/// of new keys. Asserted: every row once, exactly as written. The rates printed (rows/s, ms per AddShard call) are
/// information, not asserted (shared machines are noisy); tools/bench-writers.sh collects them.
/// </summary>
[Collection(nameof(StorageAtScale))]
public sealed class PostgresStorageAtScaleTests(PostgresDatabase postgres, ITestOutputHelper output) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const int ShardSize = 256;
    private DistributedDatabase _database = null!;

    public async Task InitializeAsync() => _database = await DistributedDatabase.CreateAsync(postgres);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Shards_with_embeddings_from_one_and_four_concurrent_writers_land_once_each_and_read_back_exactly_even_when_redelivered()
    {
        // Sixty shards warm the process up first (JIT tiering, the connection pool): a worker writes thousands of shards,
        // and the first few of a fresh process measured at half the rate of the ones after.
        const int WarmUp = 60, Measured = 80, Shards = WarmUp + (2 * Measured);
        var run = await _database.StartRunAsync();
        var results = new List<ShardResult>();
        for (var s = 0; s < Shards; s++)
        {
            var shard = await _database.AddShardAsync(run, Enumerable.Range(0, ShardSize).Select(i => $"{s:D3}/{i:D4}.jpg").ToArray());
            results.Add(new ShardResult(
                run.Id, shard.ShardId, shard.Items.Select(i => StorageDatabase.Prediction(i.ImageId, embeddingLength: 1280)).ToList(), [], "w"));
        }

        await WriteAllAsync(results.Take(WarmUp));
        var sequential = await MeasureAsync(() => WriteAllAsync(results.Skip(WarmUp).Take(Measured)));
        var concurrent = await MeasureAsync(() => Task.WhenAll(results.Skip(WarmUp + Measured).Chunk(Measured / 4).Select(WriteAllAsync)));
        output.WriteLine($"RATE postgres-writer top-5 + 1280-d float16 embedding (bytea) per row, {ShardSize} rows per shard transaction (binary COPY of the rows not yet stored), after {WarmUp} shards of warm-up:");
        output.WriteLine($"RATE postgres-writer one writer:    {Describe(Measured * ShardSize, sequential)}");
        output.WriteLine($"RATE postgres-writer four writers:  {Describe(Measured * ShardSize, concurrent)}");

        // Redelivery: a sixth of the shards written again, by four concurrent writers, and one shard of which half was
        // stored by an earlier delivery that carried only those rows.
        await Task.WhenAll(results.Where((_, i) => i % 6 == 0).Chunk(6).Select(WriteAllAsync));
        var partial = await _database.AddShardAsync(run, Enumerable.Range(0, ShardSize).Select(i => $"partial/{i:D4}.jpg").ToArray());
        var whole = new ShardResult(
            run.Id, partial.ShardId, partial.Items.Select(i => StorageDatabase.Prediction(i.ImageId, embeddingLength: 1280)).ToList(), [], "w");
        await _database.Writer.WriteAsync(whole with { Predictions = whole.Predictions.Where((_, i) => i % 2 == 0).ToList() }, CancellationToken.None);
        await _database.Writer.WriteAsync(whole, CancellationToken.None);
        results.Add(whole);

        Assert.Equal((long)(Shards + 1) * ShardSize, await _database.ScalarAsync("SELECT count(*) FROM predictions"));
        Assert.Null(await _database.DifferencesFromAsync(run.Id, results));
    }

    [Fact]
    public async Task Planning_400_shards_of_new_keys_stores_each_key_once_in_its_shard()
    {
        const int Shards = 400;
        var run = await _database.StartRunAsync();
        await _database.AddShardAsync(run, Enumerable.Range(0, ShardSize).Select(i => $"warmup/{i:D4}.jpg").ToArray());

        var perCall = new double[Shards];
        var imageIds = new HashSet<long>();
        var shardSizes = new List<int>();
        var total = await MeasureAsync(async () =>
        {
            for (var s = 0; s < Shards; s++)
            {
                var keys = Enumerable.Range(0, ShardSize).Select(i => $"container/prefix/{s:D6}/{i:D4}.jpg").ToArray();
                var clock = Stopwatch.StartNew();
                var shard = await _database.Runs.AddShardAsync(run.Id, run.Source, keys, CancellationToken.None);
                perCall[s] = clock.Elapsed.TotalMilliseconds;
                shardSizes.Add(shard.Items.Count);
                imageIds.UnionWith(shard.Items.Select(i => i.ImageId));
            }
        });

        Array.Sort(perCall);
        var keysPerSecond = Shards * ShardSize / total.Wall.TotalSeconds;
        output.WriteLine(
            $"RATE postgres-planning AddShardAsync, {Shards} shards of {ShardSize} new keys: {total.Wall.TotalMilliseconds / Shards:F2} ms per call " +
            $"(median {perCall[Shards / 2]:F2}, p95 {perCall[Shards * 95 / 100]:F2}), {keysPerSecond:F0} keys/s, " +
            $"so 1,000,000 keys ~ {1_000_000 / keysPerSecond:F0} s of storage time; load average {LoadAverage()}");

        Assert.All(shardSizes, size => Assert.Equal(ShardSize, size));
        Assert.Equal(Shards * ShardSize, imageIds.Count);
        Assert.Equal((long)(Shards + 1) * ShardSize, await _database.ScalarAsync("SELECT count(*) FROM images"));
        Assert.Equal((long)(Shards + 1) * ShardSize, await _database.ScalarAsync("SELECT count(DISTINCT key) FROM images"));
        Assert.Equal((long)Shards + 1, await _database.ScalarAsync("SELECT count(*) FROM shards"));
    }

    private async Task WriteAllAsync(IEnumerable<ShardResult> results)
    {
        foreach (var result in results)
        {
            await _database.Writer.WriteAsync(result, CancellationToken.None);
        }
    }

    private static async Task<(TimeSpan Wall, TimeSpan Cpu)> MeasureAsync(Func<Task> work)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await work();
        clock.Stop();
        process.Refresh();
        return (clock.Elapsed, process.TotalProcessorTime - cpuBefore);
    }

    private static string Describe(int rows, (TimeSpan Wall, TimeSpan Cpu) took) =>
        $"{rows} rows in {took.Wall.TotalMilliseconds:F0} ms = {rows / took.Wall.TotalSeconds:F0} rows/s " +
        $"(client CPU {took.Cpu.TotalMilliseconds:F0} ms; load average {LoadAverage()})";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
