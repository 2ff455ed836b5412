using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace EfficientNet.Batch.Storage.Runs;

/// <summary>
/// The run store of distributed mode: PostgreSQL, shared by the scheduler and every worker. Shard planning is raw
/// Npgsql in ONE round trip per shard, whatever its size; everything else is the provider-neutral EF Core code.
/// </summary>
public sealed class PostgresRunStore : RunStore<PostgresBatchDbContext>
{
    // The three statements of AddShardAsync go out as one batch: PostgreSQL runs them as one implicit transaction
    // (one Sync for the batch), and each statement takes a fresh READ COMMITTED snapshot.

    // Serializes planners of one run, so the next shard id (MAX + 1, read by a later statement) cannot race.
    // FOR NO KEY UPDATE does not block the FOR KEY SHARE locks that foreign keys to runs take (result writers).
    private const string LockRun = "SELECT 1 FROM runs WHERE id = $1 FOR NO KEY UPDATE";

    // New keys only; an existing image keeps its row (no update, no dead tuple). A key that a concurrent planner is
    // inserting makes this statement wait for that transaction, so the next statement sees the row either way.
    private const string InsertImages =
        """
        INSERT INTO images (source, key)
        SELECT $2, k.key FROM unnest($3::text[]) AS k(key)
        WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1)
        ON CONFLICT (source, key) DO NOTHING
        """;

    // Reads every key's id in the keys' order (a fresh snapshot: sees the rows just inserted and those of planners
    // that committed meanwhile) and writes the shard; returns its id and image ids. No row when the run is unknown.
    // One unique-index probe per key, written as a correlated subquery on purpose: as a join, statistics taken
    // while images was small made the planner hash ALL images of the source on every call (measured: 5 ms at 13k
    // images and growing), and a source is planned in one go, long before autovacuum analyzes again. A key without
    // an id (impossible after the INSERT above) turns the array NULL, which image_ids refuses: the batch rolls back.
    private const string InsertShard =
        """
        INSERT INTO shards (run_id, shard_id, status, attempts, image_ids, image_count, ok_count, failed_count, created_at, is_retry)
        SELECT r.id, COALESCE((SELECT MAX(s.shard_id) FROM shards s WHERE s.run_id = r.id), 0) + 1, $4, 0,
               CASE WHEN array_position(ids.image_ids, NULL) IS NULL THEN ids.image_ids END, cardinality(ids.image_ids),
               0, 0, $5, FALSE
        FROM runs r,
             LATERAL (SELECT array_agg((SELECT i.id FROM images i WHERE i.source = $2 AND i.key = k.key) ORDER BY k.ord) AS image_ids
                      FROM unnest($3::text[]) WITH ORDINALITY AS k(key, ord)) ids
        WHERE r.id = $1
        RETURNING shard_id, image_ids
        """;

    // The sweeper's claim of an expired shard. A row another transaction holds is skipped, not waited for: its holder
    // is a worker committing the shard (done in milliseconds) or one that hung inside its result transaction (how long
    // that lasts: PostgresShardResultWriter); a later sweep claims the row once it is free. Waiting instead stalled the
    // whole sweep, every other expired shard with it, behind one worker frozen inside its COPY, until the sweep's
    // command timed out after 30 s and the next sweep waited again (seen in CI).
    private const string LockShardIfFree = "SELECT 1 FROM shards WHERE run_id = $1 AND shard_id = $2 FOR NO KEY UPDATE SKIP LOCKED";

    private static readonly string Pending = EnumText.Of(ShardStatus.Pending);

    private readonly NpgsqlDataSource _dataSource;

    public PostgresRunStore(NpgsqlDataSource dataSource, IDbContextFactory<PostgresBatchDbContext> contexts, TimeProvider time)
        : base(contexts, time)
    {
        _dataSource = dataSource;
    }

    /// <summary>Key of the session-level advisory lock that serialises migrations across processes.</summary>
    private const long MigrationLock = 0x656E625F6D6967; // "enb_mig"

    /// <summary>
    /// Applies pending migrations under our own advisory lock, so services starting together (scheduler, workers, the
    /// migration job) do not migrate twice.
    /// </summary>
    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        // Several services may start at once against an empty or older database. EF Core's own migration lock did not
        // stop two of them from applying the same second migration (measured: "column already exists"), so the
        // whole migration runs under an advisory lock held on a separate connection.
        await using var lockConnection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var acquire = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLock})", lockConnection))
        {
            await acquire.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLock})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public override async Task<PlannedShard> AddShardAsync(
        Guid runId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        EnsureShardKeys(source, keys);
        var keyArray = keys as string[] ?? keys.ToArray();

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Command(LockRun, runId),
                Command(InsertImages, runId, source, keyArray),
                Command(InsertShard, runId, source, keyArray, Pending, UtcNow),
            },
        };

        // The reader shows the result sets of the two statements that return rows: the lock's, then the shard's.
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.NextResultAsync(cancellationToken) || !await reader.ReadAsync(cancellationToken))
        {
            throw new RunNotFoundException(runId);
        }

        var shardId = reader.GetInt64(0);
        var imageIds = reader.GetFieldValue<long[]>(1);

        var items = new ShardItem[keyArray.Length];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new ShardItem(imageIds[i], keyArray[i]);
        }

        return new PlannedShard(shardId, items);
    }

    protected override async Task<bool> TryLockShardAsync(
        PostgresBatchDbContext db, Guid runId, long shardId, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A shard row can only be locked inside the sweep's open transaction.");
        await using var command = new NpgsqlCommand(LockShardIfFree, (NpgsqlConnection)transaction.Connection!, (NpgsqlTransaction)transaction)
        {
            Parameters = { new NpgsqlParameter { Value = runId }, new NpgsqlParameter { Value = shardId } },
        };
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
