using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Results;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public abstract class ResultReaderTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;

    protected StorageDatabase Database => _database;

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task Rows_stream_in_key_order_with_labels_by_probability_and_failures()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "b/2.jpg", "a.jpg", "b/10.jpg", "Z.jpg", "é.jpg");
        long Id(string key) => shard.Items.Single(i => i.Key == key).ImageId;
        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                shard.ShardId,
                [
                    new ImagePrediction(Id("b/2.jpg"), [3, 8], [0.2f, 0.8f], null),
                    new ImagePrediction(Id("a.jpg"), [5, 1], [0.6f, 0.4f], [1f, 2f]),
                    new ImagePrediction(Id("é.jpg"), [0], [1f], null),
                    new ImagePrediction(Id("Z.jpg"), [9], [0.5f], null),
                ],
                [new ImageFailure(Id("b/10.jpg"), FailureStage.Decode, "truncated JPEG")],
                "w"),
            None);

        var rows = await ReadAllAsync(run.Id);

        Assert.Equal(["Z.jpg", "a.jpg", "b/10.jpg", "b/2.jpg", "é.jpg"], rows.Select(r => r.Key));
        var b2 = rows[3];
        Assert.True(b2.Ok);
        Assert.Equal([8, 3], b2.TopIndices);
        Assert.Equal([0.8f, 0.2f], b2.TopProbabilities);
        Assert.Null(b2.FailureStage);
        var failed = rows[2];
        Assert.False(failed.Ok);
        Assert.Empty(failed.TopIndices);
        Assert.Equal(("decode", "truncated JPEG"), (failed.FailureStage, failed.FailureReason));
    }

    [Fact]
    public async Task Images_of_shards_that_never_completed_are_left_out()
    {
        var run = await _database.StartRunAsync();
        var done = await _database.AddShardAsync(run, "a.jpg");
        await _database.AddShardAsync(run, "b.jpg");
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, done.ShardId, [StorageDatabase.Prediction(done.Items[0].ImageId)], [], "w"), None);

        var rows = await ReadAllAsync(run.Id);

        Assert.Equal(["a.jpg"], rows.Select(r => r.Key));
    }

    [Fact]
    public async Task Only_the_rows_of_the_requested_run_are_read()
    {
        var run = await _database.StartRunAsync("one");
        var other = await _database.StartRunAsync("two");
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg");
        var otherShard = await _database.AddShardAsync(other, "a.jpg", "c.jpg");
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, shard.ShardId, shard.Items.Select(i => StorageDatabase.Prediction(i.ImageId)).ToList(), [], "w"), None);
        await _database.Writer.WriteAsync(
            new ShardResult(other.Id, otherShard.ShardId, [], otherShard.Items.Select(i => new ImageFailure(i.ImageId, FailureStage.Fetch, "gone")).ToList(), "w"), None);

        Assert.Equal(["a.jpg", "b.jpg"], (await ReadAllAsync(run.Id)).Select(r => r.Key));
        Assert.All(await ReadAllAsync(other.Id), r => Assert.False(r.Ok));
    }

    [Fact]
    public async Task A_prediction_wins_over_a_failure_of_the_same_image()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        var image = shard.Items[0].ImageId;

        // Two workers raced on a re-published shard: the first failed to fetch, the second succeeded.
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [], [new ImageFailure(image, FailureStage.Fetch, "timeout")], "w1"), None);
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(image)], [], "w2"), None);

        var row = Assert.Single(await ReadAllAsync(run.Id));
        Assert.True(row.Ok);
        var progress = await _database.Runs.GetProgressAsync(run.Id, None);
        Assert.Equal((1, 0), (progress.Succeeded, progress.Failed));
    }

    [Fact]
    public async Task An_unknown_run_reads_no_rows()
    {
        Assert.Empty(await ReadAllAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Embeddings_are_read_only_when_asked_for_as_the_stored_float16_values()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg");
        float[] embedding = [0.1f, -2.5f, 1234.567f, 0f];
        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                shard.ShardId,
                [new ImagePrediction(shard.Items[0].ImageId, [1], [0.9f], embedding), new ImagePrediction(shard.Items[1].ImageId, [1], [0.9f], null)],
                [new ImageFailure(shard.Items[2].ImageId, FailureStage.Decode, "bad")],
                "w"),
            None);

        var rows = await ReadAllAsync(run.Id, withEmbeddings: true);

        Assert.Equal(Float16Blob.ToBytes(new[] { (Half)0.1f, (Half)(-2.5f), (Half)1234.567f, (Half)0f }), rows[0].Float16Embedding);
        Assert.Null(rows[1].Float16Embedding);
        Assert.Null(rows[2].Float16Embedding);
        Assert.All(await ReadAllAsync(run.Id), r => Assert.Null(r.Float16Embedding));
    }

    private async Task<List<ExportRow>> ReadAllAsync(Guid runId, bool withEmbeddings = false)
    {
        var rows = new List<ExportRow>();
        await foreach (var row in _database.Reader.ReadAsync(runId, withEmbeddings, None))
        {
            rows.Add(row);
        }

        return rows;
    }
}

public sealed class SqliteResultReaderTests : ResultReaderTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresResultReaderTests(PostgresDatabase postgres) : ResultReaderTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}
