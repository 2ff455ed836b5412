using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Runs;
using Npgsql;
using NpgsqlTypes;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Writes a shard's results to PostgreSQL in ONE transaction: the shard row locked, the predictions the shard does not
/// have yet by binary COPY straight into predictions, failures by INSERT ... ON CONFLICT (run_id, image_id) DO NOTHING
/// from arrays, and the shard Completed with counts re-counted from the tables. A redelivered shard writes nothing twice
/// and still reports the right counts (the semantics of <see cref="SqliteShardResultWriter"/>).
/// </summary>
/// <remarks>
/// Faults: there is deliberately no retrying execution strategy here (EF Core's EnableRetryOnFailure refuses
/// user transactions unless each is wrapped, and a blind retry cannot tell whether a commit that lost its
/// connection happened). If PostgreSQL restarts or the connection breaks mid-write, the transaction is rolled back
/// by the server, this method throws, and nothing is half-committed; the caller retries the whole write (the shard
/// consumer's message retry), which is safe because the write is idempotent. Npgsql discards the broken physical
/// connection instead of returning it to the pool, so the retry opens a fresh one.
/// </remarks>
public sealed class PostgresShardResultWriter : IShardResultWriter
{
    private const string LockShard = "SELECT image_ids FROM shards WHERE run_id = $1 AND shard_id = $2 FOR NO KEY UPDATE";

    // A worker that hangs (SIGSTOP, a stalled VM) inside this transaction would hold the shard row's lock for ever: the
    // sweeper skips a locked row (PostgresRunStore), and the worker that takes the re-published shard would wait behind
    // it. The server ends such a session after 15 s idle between statements (they follow each other within
    // milliseconds), and cancels a statement running 2 minutes (one waiting behind another lock). Neither ends a worker
    // frozen inside its COPY, in the milliseconds it streams rows: PostgreSQL does not cancel a COPY FROM STDIN that
    // waits for the client's data (PostgreSQL 15 here: a COPY stalled 12 s past a 3 s statement_timeout). That shard
    // waits until the worker resumes or its connection closes (in Kubernetes, when the liveness probe restarts it;
    // docs/reliability.md). Either way a retried or stale write of the shard writes nothing twice.
    private const string BoundTransaction =
        "SET LOCAL idle_in_transaction_session_timeout = '15s'; SET LOCAL statement_timeout = '120s'";

    // Which of the shard's predictions are already stored (an earlier delivery committed them). Read after the shard row
    // is locked, so a delivery of the same shard that commits meanwhile is seen (READ COMMITTED takes a snapshot per
    // statement). COPY cannot skip conflicts; it is given only the missing rows. An image's prediction is written only by
    // a shard holding the image; two shards of one run hold the same image only after retry-failed, and if a stale
    // delivery of the old shard races the new one, the loser's COPY fails on the primary key, its transaction rolls back
    // and the retry of the whole write (see remarks) skips the row. Staging the rows in a temp table and inserting them
    // with ON CONFLICT DO NOTHING, as this writer did before, handles that race in place but costs the server a second
    // pass over every row: 12.7-13.1k rows/s that way against 14.1-17.3k, one writer, 32,768 rows after warm-up
    // (README, "How embeddings are stored, and the write speed").
    private const string StoredPredictions = "SELECT image_id FROM predictions WHERE run_id = $1 AND image_id = ANY($2)";

    private const string CopyPredictions =
        "COPY predictions (run_id, image_id, top_indices, top_probabilities, embedding, full_probabilities, created_at) FROM STDIN (FORMAT BINARY)";

    // Failures are few per shard: three arrays in one statement do what a second COPY would, in one round trip.
    private const string InsertFailures =
        """
        INSERT INTO failures (run_id, image_id, stage, reason, created_at)
        SELECT $1, f.image_id, f.stage, f.reason, $5
        FROM unnest($2::bigint[], $3::text[], $4::text[]) AS f(image_id, stage, reason)
        ON CONFLICT (run_id, image_id) DO NOTHING
        """;

    // Counts are the rows now in the tables for the shard's images (a failure counts only without a prediction),
    // not the rows of this message: a partial late redelivery cannot shrink them. One primary-key probe per image of
    // the shard ($6), as scalar subqueries on purpose: written as a join or EXISTS, statistics taken while the run
    // was young made the planner read every prediction of the run on each shard (measured: 6-10 ms at 15k rows and
    // growing with the run); scalar subqueries are never turned into joins.
    private const string CompleteShard =
        """
        UPDATE shards s
        SET status = $3, worker_id = $4, completed_at = $5, ok_count = c.ok, failed_count = c.failed
        FROM (SELECT count(*) FILTER (WHERE probe.ok) AS ok, count(*) FILTER (WHERE probe.failed AND NOT probe.ok) AS failed
              FROM (SELECT (SELECT TRUE FROM predictions p WHERE p.run_id = $1 AND p.image_id = u.image_id) IS NOT NULL AS ok,
                           (SELECT TRUE FROM failures f WHERE f.run_id = $1 AND f.image_id = u.image_id) IS NOT NULL AS failed
                    FROM unnest($6::bigint[]) AS u(image_id)) probe) c
        WHERE s.run_id = $1 AND s.shard_id = $2
        """;

    private static readonly string Completed = EnumText.Of(ShardStatus.Completed);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    public PostgresShardResultWriter(NpgsqlDataSource dataSource, TimeProvider time)
    {
        _dataSource = dataSource;
        _time = time;
    }

    public async Task WriteAsync(ShardResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(result.WorkerId);
        cancellationToken.ThrowIfCancellationRequested();
        var labels = result.Predictions.Select(TopLabels.Descending).ToArray();
        var now = _time.GetUtcNow().UtcDateTime;

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The shard row stays locked until commit: two deliveries of one shard write one after the other.
        var (shardImages, stored) = await LockShardAsync(connection, transaction, result, cancellationToken);
        ShardMembership.Ensure(result, shardImages ?? throw new ShardNotFoundException(result.RunId, result.ShardId));

        // Stored already, or repeated within this result: written once (first wins), as ON CONFLICT DO NOTHING would.
        var missing = Enumerable.Range(0, result.Predictions.Count).Where(i => stored.Add(result.Predictions[i].ImageId)).ToArray();
        if (missing.Length > 0)
        {
            await CopyPredictionsAsync(connection, result, missing, labels, now, cancellationToken);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        if (result.Failures.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                InsertFailures,
                Uuid(result.RunId),
                new NpgsqlParameter<long[]> { TypedValue = result.Failures.Select(f => f.ImageId).ToArray() },
                new NpgsqlParameter<string[]> { TypedValue = result.Failures.Select(f => f.Stage).ToArray() },
                new NpgsqlParameter<string[]> { TypedValue = result.Failures.Select(f => f.Reason).ToArray() },
                Timestamp(now)));
        }

        batch.BatchCommands.Add(Command(
            CompleteShard,
            Uuid(result.RunId),
            new NpgsqlParameter<long> { TypedValue = result.ShardId },
            new NpgsqlParameter<string> { TypedValue = Completed },
            new NpgsqlParameter<string> { TypedValue = result.WorkerId },
            Timestamp(now),
            new NpgsqlParameter<long[]> { TypedValue = shardImages }));
        await batch.ExecuteNonQueryAsync(cancellationToken);

        cancellationToken.ThrowIfCancellationRequested();
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Locks the shard row; returns its image ids (null when there is no such shard) and which of the result's predictions are stored already.</summary>
    private static async Task<(long[]? ShardImages, HashSet<long> Stored)> LockShardAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ShardResult result, CancellationToken cancellationToken)
    {
        await using (var bound = new NpgsqlCommand(BoundTransaction, connection, transaction))
        {
            await bound.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Command(LockShard, Uuid(result.RunId), new NpgsqlParameter<long> { TypedValue = result.ShardId }));
        if (result.Predictions.Count > 0)
        {
            batch.BatchCommands.Add(Command(
                StoredPredictions,
                Uuid(result.RunId),
                new NpgsqlParameter<long[]> { TypedValue = result.Predictions.Select(p => p.ImageId).ToArray() }));
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var shardImages = await reader.ReadAsync(cancellationToken) ? reader.GetFieldValue<long[]>(0) : null;
        var stored = new HashSet<long>();
        if (result.Predictions.Count > 0 && await reader.NextResultAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add(reader.GetInt64(0));
            }
        }

        return (shardImages, stored);
    }

    private static async Task CopyPredictionsAsync(
        NpgsqlConnection connection,
        ShardResult result,
        int[] rows,
        (int[] Indices, float[] Probabilities)[] labels,
        DateTime now,
        CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopyPredictions, cancellationToken);
        foreach (var i in rows)
        {
            var prediction = result.Predictions[i];
            var (indices, probabilities) = labels[i];
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(result.RunId, NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(prediction.ImageId, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(indices, NpgsqlDbType.Array | NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(probabilities, NpgsqlDbType.Array | NpgsqlDbType.Real, cancellationToken);
            if (prediction.Embedding is { } embedding)
            {
                await copy.WriteAsync(Float16Blob.ToBytes(embedding), NpgsqlDbType.Bytea, cancellationToken);
            }
            else
            {
                await copy.WriteNullAsync(cancellationToken);
            }

            if (prediction.FullProbabilities is { } distribution)
            {
                await copy.WriteAsync(Float16Blob.ToBytes(distribution), NpgsqlDbType.Bytea, cancellationToken);
            }
            else
            {
                await copy.WriteNullAsync(cancellationToken);
            }

            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    private static NpgsqlParameter<Guid> Uuid(Guid value) => new() { TypedValue = value };

    private static NpgsqlParameter<DateTime> Timestamp(DateTime utc) => new() { TypedValue = utc };

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }
}
