using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public abstract class ShardResultWriterTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;

    protected StorageDatabase Database => _database;

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task A_shard_result_is_stored_and_the_shard_completed_with_its_counts()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg");

        await _database.Writer.WriteAsync(ResultOf(run, shard, failedImages: 1), None);

        await using var context = _database.Context();
        var stored = await context.Shards.SingleAsync();
        Assert.Equal(ShardStatus.Completed, stored.Status);
        Assert.Equal(2, stored.OkCount);
        Assert.Equal(1, stored.FailedCount);
        Assert.Equal("worker-1", stored.WorkerId);
        Assert.NotNull(stored.CompletedAt);
        Assert.Equal(2, await context.Predictions.CountAsync());
        Assert.Equal(1, await context.Failures.CountAsync());
    }

    [Fact]
    public async Task Redelivered_shard_writes_no_duplicate_rows()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg", "d.jpg");
        var result = ResultOf(run, shard, failedImages: 1);

        await _database.Writer.WriteAsync(result, None);
        await _database.Writer.WriteAsync(result, None);

        await using var context = _database.Context();
        Assert.Equal(3, await context.Predictions.CountAsync());
        Assert.Equal(1, await context.Failures.CountAsync());
        var stored = await context.Shards.SingleAsync();
        Assert.Equal(ShardStatus.Completed, stored.Status);
        Assert.Equal((3, 1), (stored.OkCount, stored.FailedCount));
    }

    [Fact]
    public async Task A_redelivery_carrying_more_than_the_first_delivery_adds_only_the_missing_rows_and_an_image_repeated_in_a_result_is_written_once()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg");
        var ids = shard.Items.Select(i => i.ImageId).ToArray();
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(ids[0], top: 0.9f)], [], "worker-1"), None);

        // The second delivery repeats image 0 (stored already, with other values) and carries image 1 twice.
        var second = new ShardResult(
            run.Id,
            shard.ShardId,
            [StorageDatabase.Prediction(ids[0], top: 0.5f), StorageDatabase.Prediction(ids[1], top: 0.8f), StorageDatabase.Prediction(ids[1], top: 0.7f), StorageDatabase.Prediction(ids[2], top: 0.6f)],
            [],
            "worker-2");
        await _database.Writer.WriteAsync(second, None);

        await using var context = _database.Context();
        var stored = await context.Predictions.OrderBy(p => p.ImageId).Select(p => new { p.ImageId, Top = p.TopProbabilities[0] }).ToListAsync();
        Assert.Equal([(ids[0], 0.9f), (ids[1], 0.8f), (ids[2], 0.6f)], stored.Select(p => (p.ImageId, p.Top)));
        var completed = await context.Shards.SingleAsync();
        Assert.Equal((ShardStatus.Completed, 3, 0), (completed.Status, completed.OkCount, completed.FailedCount));
    }

    [Fact]
    public async Task Shard_counts_are_the_rows_in_the_database_not_the_rows_of_the_message()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg");
        await _database.Writer.WriteAsync(ResultOf(run, shard, failedImages: 0), None);

        // A late redelivery that only carries part of the shard must not shrink the counts.
        var partial = new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(shard.Items[0].ImageId)], [], "worker-2");
        await _database.Writer.WriteAsync(partial, None);

        await using var context = _database.Context();
        var stored = await context.Shards.SingleAsync();
        Assert.Equal((3, 0), (stored.OkCount, stored.FailedCount));
        Assert.Equal("worker-2", stored.WorkerId);
    }

    [Fact]
    public async Task A_prediction_reads_back_exactly_and_its_embedding_at_float16_precision()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        var prediction = StorageDatabase.Prediction(shard.Items[0].ImageId, top: 0.75f, embeddingLength: 1280);
        var before = DateTime.UtcNow;

        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [prediction], [], "w"), None);

        await using var context = _database.Context();
        var stored = await context.Predictions.SingleAsync();
        Assert.Equal(run.Id, stored.RunId);
        Assert.Equal(prediction.TopIndices, stored.TopIndices);
        Assert.Equal(prediction.TopProbabilities, stored.TopProbabilities);
        Assert.Equal(StorageDatabase.AsStored(prediction.Embedding), stored.Embedding);
        Assert.All(prediction.Embedding!.Zip(stored.Embedding!), pair => Assert.True(
            Math.Abs(pair.First - pair.Second) <= Math.Abs(pair.First) / 2048, $"{pair.First} stored as {pair.Second}"));
        Assert.Equal(DateTimeKind.Utc, stored.CreatedAt.Kind);
        Assert.InRange(stored.CreatedAt, before.AddSeconds(-1), DateTime.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task A_prediction_without_embedding_stores_null()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");

        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(shard.Items[0].ImageId)], [], "w"), None);

        Assert.Equal(DBNull.Value, await _database.ScalarAsync("SELECT embedding FROM predictions"));
    }

    [Fact]
    public async Task Labels_are_stored_with_probabilities_descending()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        var unordered = new ImagePrediction(shard.Items[0].ImageId, [4, 9, 2], [0.1f, 0.7f, 0.2f], null);

        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [unordered], [], "w"), None);

        await using var context = _database.Context();
        var stored = await context.Predictions.SingleAsync();
        Assert.Equal([9, 2, 4], stored.TopIndices);
        Assert.Equal([0.7f, 0.2f, 0.1f], stored.TopProbabilities);
    }

    [Fact]
    public async Task Results_for_images_outside_the_shard_are_refused_and_nothing_is_written()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        var other = await _database.AddShardAsync(run, "b.jpg");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _database.Writer.WriteAsync(
            new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(other.Items[0].ImageId)], [], "w"), None));

        Assert.Contains(other.Items[0].ImageId.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await _database.ScalarAsync("SELECT COUNT(*) FROM predictions"));
        Assert.Equal("pending", await _database.ScalarAsync("SELECT status FROM shards WHERE shard_id = 1"));
    }

    [Fact]
    public async Task Mismatched_label_and_probability_counts_are_refused()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        var broken = new ImagePrediction(shard.Items[0].ImageId, [1, 2], [0.5f], null);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [broken], [], "w"), None));
    }

    [Fact]
    public async Task Writing_an_unknown_shard_fails_naming_it()
    {
        var run = await _database.StartRunAsync();

        var error = await Assert.ThrowsAsync<ShardNotFoundException>(() =>
            _database.Writer.WriteAsync(new ShardResult(run.Id, 42, [], [], "w"), None));
        Assert.Contains("shard 42", error.Message, StringComparison.Ordinal);
    }

    private static ShardResult ResultOf(RunInfo run, PlannedShard shard, int failedImages)
    {
        var failed = shard.Items.Take(failedImages)
            .Select(i => new ImageFailure(i.ImageId, FailureStage.Decode, "not an image: the file starts with '<html'"))
            .ToList();
        var ok = shard.Items.Skip(failedImages).Select(i => StorageDatabase.Prediction(i.ImageId)).ToList();
        return new ShardResult(run.Id, shard.ShardId, ok, failed, "worker-1");
    }
}

public sealed class SqliteShardResultWriterTests : ShardResultWriterTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresShardResultWriterTests(PostgresDatabase postgres) : ShardResultWriterTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}
