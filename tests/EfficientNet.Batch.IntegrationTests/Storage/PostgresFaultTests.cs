using EfficientNet.Batch.Results;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests.Storage;

/// <summary>
/// Connections that die under the writer: the shard's transaction commits nothing, the writer throws (the consumer's
/// message retry writes again), and the pool hands out working connections afterwards. The server is not
/// restarted (other test classes share it): its backends are terminated, which is what a restart does to clients.
/// </summary>
public sealed class PostgresFaultTests(PostgresDatabase postgres) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private DistributedDatabase _database = null!;

    public async Task InitializeAsync() => _database = await DistributedDatabase.CreateAsync(postgres);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_writer_whose_connection_dies_mid_transaction_commits_nothing_and_its_retry_writes_everything()
    {
        var run = await _database.StartRunAsync();
        var shard = await _database.AddShardAsync(run, "a.jpg", "b.jpg", "c.jpg");
        var result = new ShardResult(
            run.Id,
            shard.ShardId,
            shard.Items.Take(2).Select(i => StorageDatabase.Prediction(i.ImageId, embeddingLength: 1280)).ToList(),
            [new ImageFailure(shard.Items[2].ImageId, FailureStage.Decode, "truncated")],
            "worker-1");

        // Another transaction holds an uncommitted failure row of image c: the writer copies and inserts its
        // predictions, then waits on c. That is where its connection is killed.
        await using (var blocker = await OpenUnpooledAsync())
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO failures (run_id, image_id, stage, reason, created_at) VALUES ($1, $2, 'fetch', 'blocker', now())", blocker, transaction))
            {
                insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.Id });
                insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = shard.Items[2].ImageId });
                await insert.ExecuteNonQueryAsync();
            }

            var write = Task.Run(() => _database.Writer.WriteAsync(result, None));
            var writerPid = await WaitForLockWaiterAsync(blocker.ProcessID);
            await ExecuteAsync($"SELECT pg_terminate_backend({writerPid})");

            await Assert.ThrowsAnyAsync<NpgsqlException>(() => write);
            await transaction.RollbackAsync();
        }

        Assert.Equal(0L, await _database.ScalarAsync("SELECT count(*) FROM predictions"));
        Assert.Equal(0L, await _database.ScalarAsync("SELECT count(*) FROM failures"));
        Assert.Equal("pending", await _database.ScalarAsync("SELECT status FROM shards"));

        await _database.Writer.WriteAsync(result, None);

        Assert.Equal(2L, await _database.ScalarAsync("SELECT count(*) FROM predictions"));
        Assert.Equal("completed 2 1", await _database.ScalarAsync("SELECT status || ' ' || ok_count || ' ' || failed_count FROM shards"));
    }

    [Fact]
    public async Task After_the_server_drops_every_connection_the_next_call_fails_at_most_once_and_the_rest_work()
    {
        var run = await _database.StartRunAsync();
        // Three connections open at once, then back to the pool that the stores use: three idle ones are dropped below.
        var held = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _database.DataSource.OpenConnectionAsync().AsTask()));
        foreach (var connection in held)
        {
            await connection.DisposeAsync();
        }

        Assert.True(await IdleConnectionsAsync() >= 2, "the pool should hold idle connections before the drop");

        await ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");

        var failures = 0;
        for (var call = 0; call < 10; call++)
        {
            try
            {
                await _database.Runs.GetProgressAsync(run.Id, None);
            }
            catch (Exception error) when (error is NpgsqlException or InvalidOperationException)
            {
                failures++;
            }
        }

        Assert.InRange(failures, 0, 1);
        var shard = await _database.AddShardAsync(run, "a.jpg");
        await _database.Writer.WriteAsync(new ShardResult(run.Id, shard.ShardId, [StorageDatabase.Prediction(shard.Items[0].ImageId)], [], "w"), None);
        Assert.Equal(1L, (await _database.Runs.GetProgressAsync(run.Id, None)).Succeeded);
    }

    private async Task<int> WaitForLockWaiterAsync(int blockerPid) =>
        (int)(await Eventually.WaitUntilAsync(
            "the writer waits on the blocker's row lock",
            () => ScalarOnNewConnectionAsync(
                $"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> {blockerPid}"),
            pid => pid is int,
            TimeSpan.FromSeconds(60),
            pid => pid is null ? "no backend waiting on a lock" : $"pid {pid}"))!;

    private async Task<long> IdleConnectionsAsync() =>
        (long)(await ScalarOnNewConnectionAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' AND pid <> pg_backend_pid()"))!;

    private async Task ExecuteAsync(string sql) => await ScalarOnNewConnectionAsync(sql);

    private async Task<object?> ScalarOnNewConnectionAsync(string sql)
    {
        await using var connection = await OpenUnpooledAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private async Task<NpgsqlConnection> OpenUnpooledAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
