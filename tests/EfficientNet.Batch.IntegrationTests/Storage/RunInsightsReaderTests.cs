using EfficientNet.Batch.Results;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public abstract class RunInsightsReaderTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task Shard_states_workers_failures_confidence_and_classes_match_what_was_written()
    {
        var run = await _database.StartRunAsync();
        var first = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg", "d.jpg");
        var second = await _database.AddShardAsync(run, "e.jpg", "f.jpg", "g.jpg");
        await _database.AddShardAsync(run, "h.jpg");
        long Id(string key) => first.Items.Concat(second.Items).Single(i => i.Key == key).ImageId;

        Assert.True(await _database.Runs.TryStartShardAsync(run.Id, first.ShardId, "worker-1", None));
        Assert.True(await _database.Runs.TryStartShardAsync(run.Id, second.ShardId, "worker-2", None));
        // The clock moves on with real time too: a step of 1,000 s keeps the rates within 0.1% as long as a busy machine
        // spends under a second between these calls (and within the asserted range up to 10 s).
        _database.Clock.Advance(TimeSpan.FromSeconds(1000));
        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                first.ShardId,
                [
                    new ImagePrediction(Id("a.jpg"), [1, 0], [0.97f, 0.03f], null),
                    new ImagePrediction(Id("b.jpg"), [1, 5], [0.51f, 0.2f], null),
                    new ImagePrediction(Id("c.jpg"), [5, 1], [0.12f, 0.1f], null),
                ],
                [new ImageFailure(Id("d.jpg"), FailureStage.Decode, "truncated JPEG")],
                "worker-1"),
            None);
        _database.Clock.Advance(TimeSpan.FromSeconds(50));
        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                second.ShardId,
                [new ImagePrediction(Id("e.jpg"), [1], [1.0f], null)],
                [new ImageFailure(Id("g.jpg"), FailureStage.Decode, "truncated JPEG"), new ImageFailure(Id("f.jpg"), FailureStage.Fetch, "not found")],
                "worker-2"),
            None);

        var insights = await _database.Insights.ReadAsync(run.Id, ["tench", "goldfish"], None);

        Assert.Equal([("completed", 2, 7L), ("pending", 1, 1L)], insights.ShardStates.Select(s => (s.Status, s.Shards, s.Images)));
        Assert.Equal([("worker-1", 1, 4L), ("worker-2", 1, 3L)], insights.Workers.Select(w => (w.WorkerId, w.CompletedShards, w.Images)));
        Assert.InRange(insights.Workers[0].ImagesPerSecond, 4 / 1010.0, 4 / 999.9); // 4 images, leased 1,000 s before completion
        Assert.InRange(insights.Workers[1].ImagesPerSecond, 3 / 1060.0, 3 / 1049.9); // 3 images over 1,050 s
        Assert.Equal(
            [("decode", "truncated JPEG", 2L, "d.jpg,g.jpg"), ("fetch", "not found", 1L, "f.jpg")],
            insights.Failures.Select(f => (f.Stage, f.Reason, f.Count, string.Join(',', f.ExampleKeys))));

        var expectedHistogram = new long[20];
        expectedHistogram[2] = 1;  // 0.12
        expectedHistogram[10] = 1; // 0.51
        expectedHistogram[19] = 2; // 0.97 and 1.0
        Assert.Equal(expectedHistogram, insights.ConfidenceHistogram);
        Assert.Equal([(1, "goldfish", 3L), (5, null, 1L)], insights.TopClasses.Select(c => (c.Index, c.Label, c.Count)));

        // Completions 50 s apart in 1 s buckets: the first and last hold the shards, the ones between are filled with zeros.
        Assert.Equal(7, insights.Throughput.Sum(p => p.Images));
        Assert.Equal(1, insights.ThroughputBucketSeconds);
        // 50 s plus the real time between the writes (up to 8 s allowed for a busy machine); SQLite's julianday() keeps
        // whole milliseconds, so when that time is under 1 ms the span can read back as 49.999 s (50 buckets), not 50.00x (51).
        Assert.InRange(insights.Throughput.Count, 50, 59);
        Assert.Equal((4L, 3L), (insights.Throughput[0].Images, insights.Throughput[^1].Images));
    }

    [Fact]
    public async Task A_run_without_results_has_empty_insights()
    {
        var run = await _database.StartRunAsync();

        var insights = await _database.Insights.ReadAsync(run.Id, null, None);

        Assert.Empty(insights.ShardStates);
        Assert.Empty(insights.Throughput);
        Assert.Empty(insights.Workers);
        Assert.Empty(insights.Failures);
        Assert.All(insights.ConfidenceHistogram, bin => Assert.Equal(0, bin));
        Assert.Empty(insights.TopClasses);
    }
}

public sealed class SqliteRunInsightsReaderTests : RunInsightsReaderTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresRunInsightsReaderTests(PostgresDatabase postgres) : RunInsightsReaderTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}
