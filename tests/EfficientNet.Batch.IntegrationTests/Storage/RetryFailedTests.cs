using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>retry-failed: the failed images of a run go into new shards, and the run runs again.</summary>
public abstract class RetryFailedTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;

    private IRunStore Runs => _database.Runs;

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task Failed_images_go_into_new_pending_shards_numbered_after_the_last_and_the_run_runs_again()
    {
        var (run, first, second) = await FinishedRunWithFailuresAsync();

        var requeued = await Runs.RequeueFailedImagesAsync(run.Id, shardSize: 2, None);

        Assert.Equal([3L, 4L], requeued.Select(s => s.ShardId));
        Assert.Equal([first.Items[1], first.Items[2]], requeued[0].Items);
        Assert.Equal([second.Items[0]], requeued[1].Items);
        var found = await Runs.FindRunAsync(run.Id.ToString(), None);
        Assert.Equal((RunStatus.Running, null, null), (found!.Status, found.StatusReason, found.FinishedAt));
        await using var context = _database.Context();
        Assert.Equal(0, await context.Failures.CountAsync());
        var retried = await context.Shards.Where(s => s.ShardId > 2).OrderBy(s => s.ShardId).ToListAsync();
        Assert.All(retried, s => Assert.Equal(ShardStatus.Pending, s.Status));
        Assert.Equal([2, 1], retried.Select(s => s.ImageCount));
    }

    [Fact]
    public async Task Progress_counts_each_image_once_and_completes_when_the_retried_shards_do()
    {
        var (run, _, _) = await FinishedRunWithFailuresAsync();

        var requeued = await Runs.RequeueFailedImagesAsync(run.Id, shardSize: 256, None);
        var during = await Runs.GetProgressAsync(run.Id, None);
        var shard = Assert.Single(requeued);
        Assert.True(await Runs.TryStartShardAsync(run.Id, shard.ShardId, "w", None));
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, shard.ShardId, shard.Items.Select(i => StorageDatabase.Prediction(i.ImageId)).ToList(), [], "w"), None);
        var after = await Runs.GetProgressAsync(run.Id, None);

        Assert.Equal((5L, 2L, 0L, 3, 2), (during.TotalImages, during.Succeeded, during.Failed, during.TotalShards, during.CompletedShards));
        Assert.False(during.AllShardsDone);
        Assert.Equal((5L, 5L, 0L), (after.TotalImages, after.Succeeded, after.Failed));
        Assert.True(after.AllShardsDone);
    }

    [Fact]
    public async Task An_image_that_also_has_a_prediction_is_not_retried()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg");
        var (a, b) = (shard.Items[0].ImageId, shard.Items[1].ImageId);
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, shard.ShardId, [], [new ImageFailure(a, FailureStage.Fetch, "timeout"), new ImageFailure(b, FailureStage.Fetch, "timeout")], "w1"), None);
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(a)], [], "w2"), None);

        var requeued = await Runs.RequeueFailedImagesAsync(run.Id, 256, None);

        Assert.Equal([b], Assert.Single(requeued).Items.Select(i => i.ImageId));
    }

    [Fact]
    public async Task A_run_without_failures_requeues_nothing_and_stays_as_it_was()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(shard.Items[0].ImageId)], [], "w"), None);
        await Runs.SetRunStatusAsync(run.Id, RunStatus.Completed, null, None);

        Assert.Empty(await Runs.RequeueFailedImagesAsync(run.Id, 256, None));

        Assert.Equal(RunStatus.Completed, (await Runs.FindRunAsync(run.Id.ToString(), None))!.Status);
    }

    [Fact]
    public async Task Requeueing_an_unknown_run_fails()
    {
        await Assert.ThrowsAsync<RunNotFoundException>(() => Runs.RequeueFailedImagesAsync(Guid.NewGuid(), 256, None));
    }

    /// <summary>Shard 1: a ok, b and c failed; shard 2: d failed, e ok; the run Failed its error budget.</summary>
    private async Task<(RunInfo Run, PlannedShard First, PlannedShard Second)> FinishedRunWithFailuresAsync()
    {
        var run = await _database.StartRunAsync();
        var first = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg");
        var second = await _database.AddShardAsync(run, "d.jpg", "e.jpg");
        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                first.ShardId,
                [StorageDatabase.Prediction(first.Items[0].ImageId)],
                [new ImageFailure(first.Items[1].ImageId, FailureStage.Decode, "truncated"), new ImageFailure(first.Items[2].ImageId, FailureStage.Fetch, "timeout")],
                "w"),
            None);
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, second.ShardId, [StorageDatabase.Prediction(second.Items[1].ImageId)], [new ImageFailure(second.Items[0].ImageId, FailureStage.Fetch, "timeout")], "w"),
            None);
        await Runs.SetRunStatusAsync(run.Id, RunStatus.Failed, "60% of images failed; the budget is 10%", None);
        return (run, first, second);
    }
}

public sealed class SqliteRetryFailedTests : RetryFailedTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresRetryFailedTests(PostgresDatabase postgres) : RetryFailedTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}
