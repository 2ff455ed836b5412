using System.Diagnostics;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>
/// Measurements, not timed assertions (see <see cref="SqliteShardResultWriterThroughputTests"/>): the result writer's
/// rows/s with 1280-float embeddings (target >= 15k rows/s) and the planner's cost per AddShard call (a 1,000,000-key
/// manifest is ~3,900 calls of 256 keys and must plan, publishing included, in <= 60 s).
/// </summary>
[Collection(nameof(StorageThroughput))]
public sealed class PostgresThroughputTests(PostgresDatabase postgres, ITestOutputHelper output) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const int ShardSize = 256;
    private DistributedDatabase database = null!;

    public async Task InitializeAsync() => database = await DistributedDatabase.CreateAsync(postgres);

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Writer_throughput_with_1280_float_embeddings_is_logged()
    {
        const int Shards = 60;
        var run = await database.StartRunAsync();
        var results = new List<ShardResult>();
        for (var s = 0; s < Shards; s++)
        {
            var shard = await database.AddShardAsync(run, Enumerable.Range(0, ShardSize).Select(i => $"{s:D3}/{i:D4}.jpg").ToArray());
            results.Add(new ShardResult(
                run.Id, shard.ShardId, shard.Items.Select(i => StorageDatabase.Prediction(i.ImageId, embeddingLength: 1280)).ToList(), [], "w"));
        }

        await database.Writer.WriteAsync(results[0], CancellationToken.None);
        var sequential = await MeasureAsync(() => WriteAllAsync(results.Skip(1).Take(29)));
        var concurrent = await MeasureAsync(() => Task.WhenAll(results.Skip(30).Chunk(8).Select(WriteAllAsync)));

        output.WriteLine($"PostgreSQL writer, top-5 + real[1280] per row, {ShardSize} rows per shard transaction (binary COPY to a temp table + INSERT ... ON CONFLICT):");
        output.WriteLine($"  one writer:    {Describe(29 * ShardSize, sequential)}");
        output.WriteLine($"  four writers:  {Describe(30 * ShardSize, concurrent)}");
        Assert.Equal((long)Shards * ShardSize, await database.ScalarAsync("SELECT count(*) FROM predictions"));
    }

    [Fact]
    public async Task Planning_cost_per_shard_of_256_new_keys_is_logged()
    {
        const int Shards = 400;
        var run = await database.StartRunAsync();
        await database.AddShardAsync(run, Enumerable.Range(0, ShardSize).Select(i => $"warmup/{i:D4}.jpg").ToArray());

        var perCall = new double[Shards];
        var total = await MeasureAsync(async () =>
        {
            for (var s = 0; s < Shards; s++)
            {
                var keys = Enumerable.Range(0, ShardSize).Select(i => $"container/prefix/{s:D6}/{i:D4}.jpg").ToArray();
                var clock = Stopwatch.StartNew();
                await database.Runs.AddShardAsync(run.Id, run.Source, keys, CancellationToken.None);
                perCall[s] = clock.Elapsed.TotalMilliseconds;
            }
        });

        Array.Sort(perCall);
        var keysPerSecond = Shards * ShardSize / total.Wall.TotalSeconds;
        output.WriteLine(
            $"PostgreSQL AddShardAsync, {Shards} shards of {ShardSize} new keys: {total.Wall.TotalMilliseconds / Shards:F2} ms per call " +
            $"(median {perCall[Shards / 2]:F2}, p95 {perCall[Shards * 95 / 100]:F2}), {keysPerSecond:F0} keys/s, " +
            $"so 1,000,000 keys ~ {1_000_000 / keysPerSecond:F0} s of storage time; load average {LoadAverage()}");
        Assert.Equal((long)(Shards + 1) * ShardSize, await database.ScalarAsync("SELECT count(*) FROM images"));
    }

    private async Task WriteAllAsync(IEnumerable<ShardResult> results)
    {
        foreach (var result in results)
        {
            await database.Writer.WriteAsync(result, CancellationToken.None);
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
