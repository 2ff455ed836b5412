using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Runs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>Leases: workers renew them while they work; the sweeper claims the shards whose lease expired.</summary>
public abstract class ShardLeaseTests : IAsyncLifetime
{
    protected static readonly CancellationToken None = CancellationToken.None;
    protected static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private StorageDatabase _database = null!;

    protected StorageDatabase Database => _database;

    protected IRunStore Runs => _database.Runs;

    public async Task InitializeAsync() => _database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    protected abstract Task<StorageDatabase> CreateDatabaseAsync();

    [Fact]
    public async Task A_worker_renews_the_lease_of_the_shard_it_runs()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None);
        var started = await LeasedAtAsync(shard);
        _database.Clock.Advance(TimeSpan.FromMinutes(3));

        Assert.True(await Runs.RenewLeaseAsync(run.Id, shard.ShardId, "worker-1", None));

        Assert.InRange(await LeasedAtAsync(shard) - started, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(4));
    }

    [Fact]
    public async Task Only_the_worker_running_the_shard_can_renew_its_lease()
    {
        var run = await _database.StartRunAsync();
        var pending = await _database.AddShardAsync(run, "a.jpg");
        var running = await _database.AddShardAsync(run, "b.jpg");
        var completed = await _database.AddShardAsync(run, "c.jpg");
        await Runs.TryStartShardAsync(run.Id, running.ShardId, "worker-2", None);
        await Runs.TryStartShardAsync(run.Id, completed.ShardId, "worker-1", None);
        await _database.Writer.WriteAsync(
            new ShardResult(run.Id, completed.ShardId, [StorageDatabase.Prediction(completed.Items[0].ImageId)], [], "worker-1"), None);

        Assert.False(await Runs.RenewLeaseAsync(run.Id, pending.ShardId, "worker-1", None));
        Assert.False(await Runs.RenewLeaseAsync(run.Id, running.ShardId, "worker-1", None));
        Assert.False(await Runs.RenewLeaseAsync(run.Id, completed.ShardId, "worker-1", None));
        Assert.False(await Runs.RenewLeaseAsync(Guid.NewGuid(), running.ShardId, "worker-2", None));
        Assert.True(await Runs.RenewLeaseAsync(run.Id, running.ShardId, "worker-2", None));
    }

    [Fact]
    public async Task A_running_shard_whose_lease_expired_is_claimed_with_its_items_and_its_lease_restarted()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "z.jpg", "a.jpg");
        await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None);
        _database.Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        var claimed = Assert.Single(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));

        Assert.Equal((run.Id, shard.ShardId, ShardStatus.Running, 1), (claimed.RunId, claimed.ShardId, claimed.Status, claimed.Attempts));
        Assert.Equal(shard.Items, claimed.Items);
        Assert.Empty(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));
        _database.Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Single(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));
    }

    [Fact]
    public async Task A_pending_shard_nobody_started_is_claimed_once_a_lease_has_passed_since_it_was_written()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");

        _database.Clock.Advance(Lease - TimeSpan.FromSeconds(10));
        Assert.Empty(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));
        _database.Clock.Advance(TimeSpan.FromSeconds(11));
        var claimed = Assert.Single(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));

        Assert.Equal((shard.ShardId, ShardStatus.Pending, 0), (claimed.ShardId, claimed.Status, claimed.Attempts));
        Assert.True(await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None));
    }

    [Fact]
    public async Task A_live_lease_is_not_claimed()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None);
        _database.Clock.Advance(Lease - TimeSpan.FromSeconds(10));
        await Runs.RenewLeaseAsync(run.Id, shard.ShardId, "worker-1", None);
        _database.Clock.Advance(Lease - TimeSpan.FromSeconds(10));

        Assert.Empty(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));
    }

    [Theory]
    [InlineData(RunStatus.Planning)]
    [InlineData(RunStatus.Completed)]
    [InlineData(RunStatus.Cancelled)]
    public async Task Shards_of_a_run_that_is_not_running_are_never_claimed(RunStatus status)
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg");
        await Runs.TryStartShardAsync(run.Id, shard.ShardId, "worker-1", None);
        await _database.AddShardAsync(run, "b.jpg");
        await Runs.SetRunStatusAsync(run.Id, status, null, None);
        _database.Clock.Advance(TimeSpan.FromHours(1));

        Assert.Empty(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));
    }

    [Fact]
    public async Task Completed_and_skipped_shards_are_never_claimed()
    {
        var run = await _database.StartRunAsync();
        var done = await _database.AddShardAsync(run, "a.jpg");
        await _database.Writer.WriteAsync(new ShardResult(run.Id, done.ShardId, [StorageDatabase.Prediction(done.Items[0].ImageId)], [], "w"), None);
        var other = await _database.StartRunAsync("other");
        await _database.AddShardAsync(other, "b.jpg");
        await Runs.SkipRemainingShardsAsync(other.Id, None);
        _database.Clock.Advance(TimeSpan.FromHours(1));

        Assert.Empty(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));
    }

    [Fact]
    public async Task The_limit_takes_the_longest_expired_shards_first()
    {
        var run = await _database.StartRunAsync();
        var oldest = await _database.AddShardAsync(run, "a.jpg");
        _database.Clock.Advance(TimeSpan.FromMinutes(1));
        var middle = await _database.AddShardAsync(run, "b.jpg");
        _database.Clock.Advance(TimeSpan.FromMinutes(1));
        await _database.AddShardAsync(run, "c.jpg");
        await Runs.TryStartShardAsync(run.Id, oldest.ShardId, "worker-1", None);
        _database.Clock.Advance(TimeSpan.FromMinutes(10));

        var claimed = await Runs.ClaimExpiredShardsAsync(Lease, 2, None);

        Assert.Equal([middle.ShardId, 3L], claimed.Select(c => c.ShardId));
    }

    [Fact]
    public async Task A_published_shard_waiting_in_the_queue_is_never_claimed_but_an_unpublished_one_is()
    {
        var run = await _database.StartRunAsync();
        var published = await _database.AddShardAsync(run, "queued/a.jpg");
        var lost = await _database.AddShardAsync(run, "lost/a.jpg");
        await Runs.MarkPublishedAsync(run.Id, [published.ShardId], None);

        _database.Clock.Advance(TimeSpan.FromHours(6));
        var claimed = await Runs.ClaimExpiredShardsAsync(Lease, 10, None);
        Assert.Equal([lost.ShardId], claimed.Select(c => c.ShardId));

        _database.Clock.Advance(TimeSpan.FromHours(6));
        Assert.Empty(await Runs.ClaimExpiredShardsAsync(Lease, 10, None));
    }

    [Fact]
    public async Task Two_sweepers_at_once_claim_each_expired_shard_exactly_once()
    {
        var run = await _database.StartRunAsync();
        var other = await _database.StartRunAsync("other");
        for (var s = 0; s < 30; s++)
        {
            var owner = s % 2 == 0 ? run : other;
            var shard = await _database.AddShardAsync(owner, $"{s:D2}/a.jpg", $"{s:D2}/b.jpg");
            Assert.True(await Runs.TryStartShardAsync(owner.Id, shard.ShardId, "hung-worker", None));
        }

        _database.Clock.Advance(Lease * 2);

        // Running shards whose worker hangs are claimed again each time their lease expires once more.
        for (var round = 0; round < 3; round++)
        {
            var sweepers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                var claimed = new List<(Guid, long)>();
                for (var batch = 0; batch < 10; batch++)
                {
                    claimed.AddRange((await Runs.ClaimExpiredShardsAsync(Lease, 4, None)).Select(c => (c.RunId, c.ShardId)));
                }

                return claimed;
            })));

            var all = sweepers.SelectMany(c => c).ToList();
            Assert.Equal(30, all.Count);
            Assert.Equal(30, all.Distinct().Count());
            _database.Clock.Advance(Lease * 2);
        }
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(5, 0)]
    public async Task A_lease_or_limit_that_is_not_positive_is_refused(int leaseMinutes, int limit)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Runs.ClaimExpiredShardsAsync(TimeSpan.FromMinutes(leaseMinutes), limit, None));
    }

    private async Task<DateTime> LeasedAtAsync(PlannedShard shard)
    {
        await using var context = _database.Context();
        return (await context.Shards.SingleAsync(s => s.ShardId == shard.ShardId)).LeasedAt!.Value;
    }
}

public sealed class SqliteShardLeaseTests : ShardLeaseTests
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await EmbeddedDatabase.CreateAsync();
}

public sealed class PostgresShardLeaseTests(PostgresDatabase postgres) : ShardLeaseTests, IClassFixture<PostgresDatabase>
{
    protected override async Task<StorageDatabase> CreateDatabaseAsync() => await DistributedDatabase.CreateAsync(postgres);

    [Fact]
    public async Task A_shard_row_another_transaction_holds_is_skipped_without_waiting_and_claimed_once_it_is_released()
    {
        var database = (DistributedDatabase)Database;
        var run = await database.StartRunAsync();
        var held = await database.AddShardAsync(run, "held.jpg");
        var free = await database.AddShardAsync(run, "free.jpg");
        await Runs.TryStartShardAsync(run.Id, held.ShardId, "hung-worker", None);
        await Runs.TryStartShardAsync(run.Id, free.ShardId, "dead-worker", None);
        database.Clock.Advance(Lease + TimeSpan.FromSeconds(1));

        // A worker hung inside its result transaction holds the shard row as PostgresShardResultWriter locks it.
        await using var holder = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM shards WHERE run_id = $1 AND shard_id = $2 FOR NO KEY UPDATE", holder, transaction))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = run.Id });
            lockRow.Parameters.Add(new NpgsqlParameter { Value = held.ShardId });
            Assert.NotNull(await lockRow.ExecuteScalarAsync());
        }

        // Waiting for the row would stall the sweep until the holder ends (the sweep's command timeout is 30 s).
        var claimed = await Runs.ClaimExpiredShardsAsync(Lease, 10, None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([free.ShardId], claimed.Select(c => c.ShardId));

        await transaction.RollbackAsync();
        Assert.Equal([held.ShardId], (await Runs.ClaimExpiredShardsAsync(Lease, 10, None)).Select(c => c.ShardId));
    }
}
