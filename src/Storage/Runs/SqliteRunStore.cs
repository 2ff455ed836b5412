using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Storage.Database.Entities;
using EfficientNet.Batch.Storage.Database.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace EfficientNet.Batch.Storage.Runs;

/// <summary>The run store of embedded mode: one SQLite file in write-ahead-log mode.</summary>
public sealed class SqliteRunStore : RunStore<SqliteBatchDbContext>
{
    private readonly SqliteDatabase _database;

    public SqliteRunStore(SqliteDatabase database, IDbContextFactory<SqliteBatchDbContext> contexts, TimeProvider time)
        : base(contexts, time)
    {
        _database = database;
    }

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await _database.PrepareFileAsync(cancellationToken);
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }

    public override async Task<PlannedShard> AddShardAsync(
        Guid runId, string source, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        EnsureShardKeys(source, keys);
        var now = UtcNow;
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);

        // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): take the write lock up front, so the next shard id
        // read below cannot race another planner, and a concurrent writer makes us wait, not fail.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken))
        {
            throw new RunNotFoundException(runId);
        }

        var items = UpsertImages(
            (SqliteConnection)db.Database.GetDbConnection(),
            (SqliteTransaction)transaction.GetDbTransaction(),
            source,
            keys);

        var shardId = (await db.Shards.Where(s => s.RunId == runId).MaxAsync(s => (long?)s.ShardId, cancellationToken) ?? 0) + 1;
        db.Shards.Add(new ShardEntity
        {
            RunId = runId,
            ShardId = shardId,
            Status = ShardStatus.Pending,
            ImageIds = items.Select(i => i.ImageId).ToArray(),
            ImageCount = items.Count,
            CreatedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new PlannedShard(shardId, items);
    }

    /// <summary>
    /// Inserts the keys not yet known for this source and returns every key's id, in the keys' order: one prepared
    /// INSERT ... ON CONFLICT DO NOTHING RETURNING id per key, and a prepared SELECT only for keys that existed.
    /// </summary>
    private static List<ShardItem> UpsertImages(
        SqliteConnection connection, SqliteTransaction transaction, string source, IReadOnlyList<string> keys)
    {
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            "INSERT INTO images (source, key) VALUES ($source, $key) ON CONFLICT (source, key) DO NOTHING RETURNING id";
        insert.Parameters.Add("$source", SqliteType.Text).Value = source;
        var insertKey = insert.Parameters.Add("$key", SqliteType.Text);
        insert.Prepare();

        using var select = connection.CreateCommand();
        select.Transaction = transaction;
        select.CommandText = "SELECT id FROM images WHERE source = $source AND key = $key";
        select.Parameters.Add("$source", SqliteType.Text).Value = source;
        var selectKey = select.Parameters.Add("$key", SqliteType.Text);
        select.Prepare();

        var items = new List<ShardItem>(keys.Count);
        foreach (var key in keys)
        {
            insertKey.Value = key;
            var id = insert.ExecuteScalar();
            if (id is null)
            {
                selectKey.Value = key;
                id = select.ExecuteScalar();
            }

            items.Add(new ShardItem((long)id!, key));
        }

        return items;
    }
}
