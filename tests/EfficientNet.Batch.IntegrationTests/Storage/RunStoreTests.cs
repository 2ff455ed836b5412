using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;

namespace EfficientNet.Batch.IntegrationTests.Storage;

public abstract class RunStoreTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private StorageDatabase _database = null!;

    private IRunStore Runs => _database.Runs;

    protected StorageDatabase Database => _database;

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task The_same_model_file_is_registered_once()
    {
        var first = await Runs.EnsureModelAsync("b0", "file:///a.onnx", new string('a', 64), "{}", null, None);
        var again = await Runs.EnsureModelAsync("b0 renamed", "file:///b.onnx", new string('A', 64), "{}", null, None);
        var other = await Runs.EnsureModelAsync("b3", "file:///c.onnx", new string('c', 64), "{}", null, None);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task A_new_run_is_planning_and_carries_its_model_name()
    {
        var run = await _database.StartRunAsync("nightly", running: false);

        Assert.Equal(RunStatus.Planning, run.Status);
        Assert.Equal("efficientnet_b0", run.ModelName);
        Assert.Equal(TimeSpan.Zero, run.CreatedAt.Offset);
        Assert.Null(run.FinishedAt);
    }

    [Fact]
    public async Task A_run_of_an_unknown_kind_is_refused()
    {
        var model = await Runs.EnsureModelAsync("b0", "file:///a.onnx", new string('a', 64), "{}", null, None);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Runs.CreateRunAsync(
            new NewRun("x", "student", model, "/photos", 5, false, 0.1, 256), None));
        Assert.Contains("'student'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adding_shards_with_overlapping_keys_reuses_image_ids()
    {
        var run = await _database.StartRunAsync();

        var first = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg");
        var second = await _database.AddShardAsync(run, "c.jpg", "d.jpg", "a.jpg");

        var ids = first.Items.ToDictionary(i => i.Key, i => i.ImageId);
        Assert.Equal(ids["c.jpg"], second.Items[0].ImageId);
        Assert.Equal(ids["a.jpg"], second.Items[2].ImageId);
        Assert.DoesNotContain(second.Items[1].ImageId, ids.Values);
        Assert.Equal(["c.jpg", "d.jpg", "a.jpg"], second.Items.Select(i => i.Key));
        Assert.Equal(4L, await _database.ScalarAsync("SELECT COUNT(*) FROM images"));
    }

    [Fact]
    public async Task The_same_key_under_another_source_is_another_image()
    {
        var run = await _database.StartRunAsync();

        var here = await Runs.AddShardAsync(run.Id, "/photos", ["a.jpg"], None);
        var there = await Runs.AddShardAsync(run.Id, "/other", ["a.jpg"], None);

        Assert.NotEqual(here.Items[0].ImageId, there.Items[0].ImageId);
    }

    [Fact]
    public async Task Shard_ids_count_up_per_run()
    {
        var run = await _database.StartRunAsync("one");
        var other = await _database.StartRunAsync("two");

        var ids = new[]
        {
            (await _database.AddShardAsync(run, "a.jpg")).ShardId,
            (await _database.AddShardAsync(run, "b.jpg")).ShardId,
            (await _database.AddShardAsync(other, "a.jpg")).ShardId,
        };

        Assert.Equal([1L, 2L, 1L], ids);
    }

    [Fact]
    public async Task A_shard_stores_its_image_ids_in_order()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "z.jpg", "a.jpg", "m.jpg");

        await using var context = _database.Context();
        var stored = await context.Shards.SingleAsync();
        Assert.Equal(shard.Items.Select(i => i.ImageId), stored.ImageIds);
        Assert.Equal(3, stored.ImageCount);
        Assert.Equal(ShardStatus.Pending, stored.Status);
    }

    [Fact]
    public async Task Adding_a_shard_with_a_repeated_key_is_refused()
    {
        var run = await _database.StartRunAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _database.AddShardAsync(run, "a.jpg", "a.jpg"));
        Assert.Contains("'a.jpg' appears twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adding_a_shard_to_an_unknown_run_names_the_run()
    {
        var runId = Guid.NewGuid();

        var error = await Assert.ThrowsAsync<RunNotFoundException>(() => Runs.AddShardAsync(runId, "/photos", ["a.jpg"], None));
        Assert.Contains(runId.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_a_pending_shard_of_a_running_run_leases_it()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");

        Assert.True(await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None));
        Assert.True(await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-2", None));

        await using var context = _database.Context();
        var stored = await context.Shards.SingleAsync();
        Assert.Equal(ShardStatus.Running, stored.Status);
        Assert.Equal("worker-2", stored.WorkerId);
        Assert.Equal(2, stored.Attempts);
        Assert.Equal(DateTimeKind.Utc, stored.LeasedAt!.Value.Kind);
        Assert.True(DateTime.UtcNow - stored.LeasedAt.Value < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_redelivered_completed_shard_is_not_started_again()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None);
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(shard.Items[0].ImageId)], [], "worker-1"), None);

        Assert.False(await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-2", None));
    }

    [Theory]
    [InlineData(RunStatus.Planning)]
    [InlineData(RunStatus.Cancelled)]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Completed)]
    public async Task A_shard_is_not_started_while_its_run_is_not_running(RunStatus status)
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        await Runs.SetRunStatusAsync(run.Id, status, "test", None);

        Assert.False(await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None));
    }

    [Fact]
    public async Task Skipping_remaining_shards_leaves_completed_shards_alone()
    {
        var run = await _database.StartRunAsync();
        var done = await _database.AddShardAsync(run, "a.jpg");
        var running = await _database.AddShardAsync(run, "b.jpg");
        await _database.AddShardAsync(run, "c.jpg");
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, done.ShardId, [StorageDatabase.Prediction(done.Items[0].ImageId)], [], "w"), None);
        await Runs.TryStartShardAsync(run.Id, running.ShardId, "w", None);

        await Runs.SkipRemainingShardsAsync(run.Id, None);

        await using var context = _database.Context();
        var statuses = await context.Shards.OrderBy(s => s.ShardId).Select(s => s.Status).ToListAsync();
        Assert.Equal([ShardStatus.Completed, ShardStatus.Skipped, ShardStatus.Skipped], statuses);
        Assert.False(await Runs.TryStartShardAsync(run.Id, running.ShardId, "w", None));
    }

    [Fact]
    public async Task A_run_records_when_it_started_and_finished()
    {
        var run = await _database.StartRunAsync(running: false);

        await Runs.SetRunStatusAsync(run.Id, RunStatus.Running, null, None);
        await Runs.SetRunStatusAsync(run.Id, RunStatus.Failed, "12% of images failed; the budget is 10%", None);

        var found = await Runs.FindRunAsync(run.Id.ToString(), None);
        Assert.Equal(RunStatus.Failed, found!.Status);
        Assert.Equal("12% of images failed; the budget is 10%", found.StatusReason);
        Assert.NotNull(found.FinishedAt);
        await using var context = _database.Context();
        Assert.NotNull((await context.Runs.SingleAsync()).StartedAt);
    }

    [Theory]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Cancelled)]
    public async Task Ending_a_run_that_did_not_complete_records_why_and_skips_its_unfinished_shards(RunStatus status)
    {
        var run = await _database.StartRunAsync();
        var done = await _database.AddShardAsync(run, "a.jpg");
        var running = await _database.AddShardAsync(run, "b.jpg");
        await _database.AddShardAsync(run, "c.jpg");
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, done.ShardId, [StorageDatabase.Prediction(done.Items[0].ImageId)], [], "w"), None);
        await Runs.TryStartShardAsync(run.Id, running.ShardId, "w", None);

        await Runs.EndRunAsync(run.Id, status, "stopped by the test", None);

        var found = await Runs.FindRunAsync(run.Id.ToString(), None);
        Assert.Equal(status, found!.Status);
        Assert.Equal("stopped by the test", found.StatusReason);
        Assert.NotNull(found.FinishedAt);
        await using var context = _database.Context();
        var statuses = await context.Shards.OrderBy(s => s.ShardId).Select(s => s.Status).ToListAsync();
        Assert.Equal([ShardStatus.Completed, ShardStatus.Skipped, ShardStatus.Skipped], statuses);
        Assert.False(await Runs.RenewLeaseAsync(run.Id, running.ShardId, "w", None));
    }

    [Fact]
    public async Task Completing_a_run_skips_no_shard()
    {
        var run = await _database.StartRunAsync();
        await _database.AddShardAsync(run, "a.jpg");

        await Runs.EndRunAsync(run.Id, RunStatus.Completed, null, None);

        Assert.Equal(RunStatus.Completed, (await Runs.FindRunAsync(run.Id.ToString(), None))!.Status);
        await using var context = _database.Context();
        Assert.Equal(ShardStatus.Pending, await context.Shards.Select(s => s.Status).SingleAsync());
    }

    [Fact]
    public async Task A_run_cannot_end_as_running_and_an_unknown_run_cannot_end()
    {
        var run = await _database.StartRunAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Runs.EndRunAsync(run.Id, RunStatus.Running, null, None));
        await Assert.ThrowsAsync<RunNotFoundException>(() => Runs.EndRunAsync(Guid.NewGuid(), RunStatus.Failed, "gone", None));
        Assert.Equal(RunStatus.Running, (await Runs.FindRunAsync(run.Id.ToString(), None))!.Status);
    }

    [Fact]
    public async Task Setting_the_status_of_an_unknown_run_fails()
    {
        await Assert.ThrowsAsync<RunNotFoundException>(() => Runs.SetRunStatusAsync(Guid.NewGuid(), RunStatus.Running, null, None));
    }

    [Fact]
    public async Task Progress_counts_result_rows_and_groups_failures_by_stage_and_reason()
    {
        var run = await _database.StartRunAsync();
        var first = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg", "d.jpg");
        var second = await _database.AddShardAsync(run, "e.jpg", "f.jpg");
        await _database.AddShardAsync(run, "g.jpg");
        long Id(PlannedShard shard, int i) => shard.Items[i].ImageId;

        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                first.ShardId,
                [StorageDatabase.Prediction(Id(first, 0))],
                [
                    new ImageFailure(Id(first, 1), FailureStage.Decode, "not an image"),
                    new ImageFailure(Id(first, 2), FailureStage.Decode, "not an image"),
                    new ImageFailure(Id(first, 3), FailureStage.Fetch, "file not found: d.jpg"),
                ],
                "w"),
            None);
        await _database.Writer.WriteAsync(
            new ShardResult(
                run.Id,
                second.ShardId,
                [StorageDatabase.Prediction(Id(second, 0))],
                [new ImageFailure(Id(second, 1), FailureStage.Decode, "not an image")],
                "w"),
            None);

        var progress = await Runs.GetProgressAsync(run.Id, None);

        Assert.Equal(RunStatus.Running, progress.Status);
        Assert.Equal(7, progress.TotalImages);
        Assert.Equal(2, progress.Succeeded);
        Assert.Equal(4, progress.Failed);
        Assert.Equal(3, progress.TotalShards);
        Assert.Equal(2, progress.CompletedShards);
        Assert.False(progress.AllShardsDone);
        Assert.Equal(
            [new FailureCount("decode", "not an image", 3), new FailureCount("fetch", "file not found: d.jpg", 1)],
            progress.FailuresByReason);
    }

    [Fact]
    public async Task Progress_lists_the_twenty_most_common_failure_reasons()
    {
        var run = await _database.StartRunAsync();
        var keys = Enumerable.Range(0, 30).Select(i => $"{i:D2}.jpg").ToArray();
        var shard = await _database.AddShardAsync(run, keys);
        var failures = shard.Items.Select((item, i) =>
            new ImageFailure(item.ImageId, FailureStage.Decode, i < 5 ? "common" : $"rare {i:D2}")).ToList();
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [], failures, "w"), None);

        var progress = await Runs.GetProgressAsync(run.Id, None);

        Assert.Equal(30, progress.Failed);
        Assert.Equal(20, progress.FailuresByReason.Count);
        Assert.Equal(new FailureCount("decode", "common", 5), progress.FailuresByReason[0]);
        Assert.True(progress.AllShardsDone);
    }

    [Fact]
    public async Task Progress_of_a_run_without_shards_is_all_zeros()
    {
        var run = await _database.StartRunAsync(running: false);

        var progress = await Runs.GetProgressAsync(run.Id, None);

        Assert.Equal(RunStatus.Planning, progress.Status);
        Assert.Equal((0, 0, 0, 0, 0), (progress.TotalImages, progress.Succeeded, progress.Failed, progress.TotalShards, progress.CompletedShards));
        Assert.Empty(progress.FailuresByReason);
        Assert.False(progress.AllShardsDone);
    }

    [Fact]
    public async Task Progress_of_an_unknown_run_fails()
    {
        await Assert.ThrowsAsync<RunNotFoundException>(() => Runs.GetProgressAsync(Guid.NewGuid(), None));
    }

    [Fact]
    public async Task A_run_is_found_by_its_id()
    {
        var run = await _database.StartRunAsync("nightly");
        await _database.StartRunAsync("other");

        var found = await Runs.FindRunAsync(run.Id.ToString(), None);

        Assert.Equal(run.Id, found!.Id);
        Assert.Equal("nightly", found.Name);
    }

    [Fact]
    public async Task A_run_name_finds_the_newest_run_with_that_name()
    {
        await _database.StartRunAsync("nightly");
        var newest = await _database.StartRunAsync("nightly");
        await _database.StartRunAsync("other");

        var found = await Runs.FindRunAsync("nightly", None);

        Assert.Equal(newest.Id, found!.Id);
    }

    [Fact]
    public async Task Latest_finds_the_newest_run()
    {
        await _database.StartRunAsync("first");
        var newest = await _database.StartRunAsync("second");

        Assert.Equal(newest.Id, (await Runs.FindRunAsync("latest", None))!.Id);
        Assert.Equal(newest.Id, (await Runs.FindRunAsync("LATEST", None))!.Id);
    }

    [Fact]
    public async Task Nothing_is_found_for_an_unknown_id_or_name_or_in_an_empty_database()
    {
        Assert.Null(await Runs.FindRunAsync("latest", None));
        await _database.StartRunAsync("nightly");

        Assert.Null(await Runs.FindRunAsync(Guid.NewGuid().ToString(), None));
        Assert.Null(await Runs.FindRunAsync("weekly", None));
    }

    [Fact]
    public async Task Runs_are_listed_newest_first()
    {
        var first = await _database.StartRunAsync("first");
        var second = await _database.StartRunAsync("second");

        var runs = await Runs.ListRunsAsync(None);

        Assert.Equal([second.Id, first.Id], runs.Select(r => r.Id));
    }

    [Fact]
    public async Task Concurrent_planner_workers_and_poller_share_the_file_without_lock_errors()
    {
        var run = await _database.StartRunAsync();
        var planned = new System.Collections.Concurrent.ConcurrentQueue<PlannedShard>();

        var planner = Task.Run(async () =>
        {
            for (var s = 0; s < 40; s++)
            {
                planned.Enqueue(await _database.AddShardAsync(run, Enumerable.Range(0, 50).Select(i => $"{s:D3}/{i:D3}.jpg").ToArray()));
            }
        });
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            while (!planner.IsCompleted || !planned.IsEmpty)
            {
                if (!planned.TryDequeue(out var shard))
                {
                    await Task.Delay(1);
                    continue;
                }

                Assert.True(await Runs.TryStartShardAsync(run.Id, shard.ShardId, $"w{w}", None));
                var predictions = shard.Items.Select(i => StorageDatabase.Prediction(i.ImageId, embeddingLength: 1280)).ToList();
                await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, predictions, [], $"w{w}"), None);
            }
        })).ToArray();
        var poller = Task.Run(async () =>
        {
            while (!workers.All(w => w.IsCompleted))
            {
                var progress = await Runs.GetProgressAsync(run.Id, None);
                Assert.True(progress.Done <= progress.TotalImages);
            }
        });

        await Task.WhenAll([planner, poller, .. workers]);

        var final = await Runs.GetProgressAsync(run.Id, None);
        Assert.Equal(2000, final.Succeeded);
        Assert.Equal(2000, final.TotalImages);
        Assert.True(final.AllShardsDone);
    }

    [Fact]
    public async Task Planners_working_at_once_on_overlapping_keys_share_image_ids_and_number_shards_without_gaps()
    {
        var one = await _database.StartRunAsync("one");
        var two = await _database.StartRunAsync("two");
        var keys = Enumerable.Range(0, 120).Select(i => $"{i:D3}.jpg").ToArray();

        // Four planners, two per run, each cutting the same keys into shards of 30 in a different order.
        var planned = await Task.WhenAll(new[] { one, one, two, two }.Select((run, p) => Task.Run(async () =>
        {
            var shards = new List<PlannedShard>();
            foreach (var chunk in keys.Reverse().Skip(p * 7).Concat(keys.Reverse().Take(p * 7)).Chunk(30))
            {
                shards.Add(await Runs.AddShardAsync(run.Id, run.Source, chunk, None));
            }

            return (run.Id, shards);
        })));

        var items = planned.SelectMany(p => p.shards).SelectMany(s => s.Items).ToList();
        Assert.All(items.GroupBy(i => i.Key), key => Assert.Single(key.Select(i => i.ImageId).Distinct()));
        Assert.Equal(120, items.Select(i => i.ImageId).Distinct().Count());
        Assert.Equal(120L, await _database.ScalarAsync("SELECT COUNT(*) FROM images"));
        foreach (var run in new[] { one, two })
        {
            var ids = planned.Where(p => p.Id == run.Id).SelectMany(p => p.shards).Select(s => s.ShardId).Order();
            Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), ids);
        }
    }

    [Fact]
    public async Task Planning_is_complete_only_once_the_planner_says_so()
    {
        var run = await _database.StartRunAsync();
        await _database.AddShardAsync(run, "a.jpg");

        Assert.False((await Runs.GetProgressAsync(run.Id, None)).PlanningCompleted);
        await Runs.CompletePlanningAsync(run.Id, None);
        await Runs.CompletePlanningAsync(run.Id, None);

        Assert.True((await Runs.GetProgressAsync(run.Id, None)).PlanningCompleted);
    }

    [Fact]
    public async Task Completing_the_planning_of_an_unknown_run_fails()
    {
        await Assert.ThrowsAsync<RunNotFoundException>(() => Runs.CompletePlanningAsync(Guid.NewGuid(), None));
    }

    [Fact]
    public async Task Only_running_runs_are_active_oldest_first()
    {
        var first = await _database.StartRunAsync("first");
        await _database.StartRunAsync("planning", running: false);
        var done = await _database.StartRunAsync("done");
        await Runs.SetRunStatusAsync(done.Id, RunStatus.Completed, null, None);
        var second = await _database.StartRunAsync("second");

        var active = await Runs.ListActiveRunsAsync(None);

        Assert.Equal([first.Id, second.Id], active.Select(r => r.Id));
        Assert.All(active, r => Assert.Equal("efficientnet_b0", r.ModelName));
    }

    [Fact]
    public async Task A_model_reads_back_with_its_class_names()
    {
        var id = await Runs.EnsureModelAsync("b0", "az://models/b0.onnx", new string('b', 64), "{\"name\":\"b0\"}", ["tench", "goldfish", "great white shark"], None);
        var bare = await Runs.EnsureModelAsync("b1", "file:///b1.onnx", new string('c', 64), "{}", null, None);

        var model = await Runs.GetModelAsync(id, None);

        Assert.Equal(new ModelInfo(id, "b0", "az://models/b0.onnx", new string('b', 64), "{\"name\":\"b0\"}", model!.Labels), model);
        Assert.Equal(["tench", "goldfish", "great white shark"], model.Labels);
        Assert.Null((await Runs.GetModelAsync(bare, None))!.Labels);
        Assert.Null(await Runs.GetModelAsync(bare + 100, None));
    }
}

public sealed class SqliteRunStoreTests : RunStoreTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresRunStoreTests(PostgresDatabase postgres) : RunStoreTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);
}
