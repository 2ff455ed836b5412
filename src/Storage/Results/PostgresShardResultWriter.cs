using EfficientNet.Batch.Results;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Runs;
using Npgsql;
using NpgsqlTypes;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Writes a shard's results to PostgreSQL in ONE transaction: predictions by binary COPY into a temp table, then
/// INSERT ... SELECT ... ON CONFLICT (run_id, image_id) DO NOTHING (COPY itself cannot skip conflicts), failures
/// the same way from arrays, and the shard Completed with counts re-counted from the tables. A redelivered shard
/// writes nothing twice and still reports the right counts (the semantics of <see cref="SqliteShardResultWriter"/>).
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

    // A worker that hangs (SIGSTOP, a stalled VM) inside this transaction would hold the shard row's lock for ever, and
    // the sweeper's UPDATE of that row would wait behind it instead of re-publishing the shard. The server ends such a
    // session instead: 15 s idle between statements (they follow each other within milliseconds), or one statement
    // (the COPY waiting for rows) running 2 minutes. The hung worker's write then fails and is retried, writing nothing twice.
    private const string BoundTransaction =
        "SET LOCAL idle_in_transaction_session_timeout = '15s'; SET LOCAL statement_timeout = '120s'";

    // Not WAL-logged, gone at commit or rollback; a pooled connection never sees another transaction's rows.
    // INCLUDING STORAGE copies the embedding column's EXTERNAL: with the default (EXTENDED) every embedding would be
    // run through pglz first, in vain (measured: 30 -> 24 ms per shard of 256 rows). LIKE does not copy the table's
    // toast_tuple_target (set on predictions by the EmbeddingsFloat16 migration): without it every staged embedding
    // would be moved out of line, then read back for the INSERT.
    private const string CreateStaging =
        "CREATE TEMP TABLE shard_predictions (LIKE predictions INCLUDING STORAGE) WITH (toast_tuple_target = 8160) ON COMMIT DROP";

    private const string CopyStaging =
        "COPY shard_predictions (run_id, image_id, top_indices, top_probabilities, embedding, full_probabilities, created_at) FROM STDIN (FORMAT BINARY)";

    private const string InsertPredictions =
        """
        INSERT INTO predictions (run_id, image_id, top_indices, top_probabilities, embedding, full_probabilities, created_at)
        SELECT run_id, image_id, top_indices, top_probabilities, embedding, full_probabilities, created_at FROM shard_predictions
        ON CONFLICT (run_id, image_id) DO NOTHING
        """;

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
        var shardImages = await LockShardAsync(connection, transaction, result, stage: result.Predictions.Count > 0, cancellationToken)
            ?? throw new ShardNotFoundException(result.RunId, result.ShardId);
        ShardMembership.Ensure(result, shardImages);

        if (result.Predictions.Count > 0)
        {
            await CopyPredictionsAsync(connection, result, labels, now, cancellationToken);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        if (result.Predictions.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(InsertPredictions));
        }

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

    private static async Task<long[]?> LockShardAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ShardResult result, bool stage, CancellationToken cancellationToken)
    {
        await using (var bound = new NpgsqlCommand(BoundTransaction, connection, transaction))
        {
            await bound.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Command(LockShard, Uuid(result.RunId), new NpgsqlParameter<long> { TypedValue = result.ShardId }));
        if (stage)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CreateStaging));
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetFieldValue<long[]>(0) : null;
    }

    private static async Task CopyPredictionsAsync(
        NpgsqlConnection connection,
        ShardResult result,
        (int[] Indices, float[] Probabilities)[] labels,
        DateTime now,
        CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopyStaging, cancellationToken);
        for (var i = 0; i < result.Predictions.Count; i++)
        {
            var prediction = result.Predictions[i];
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(result.RunId, NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(prediction.ImageId, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(labels[i].Indices, NpgsqlDbType.Array | NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(labels[i].Probabilities, NpgsqlDbType.Array | NpgsqlDbType.Real, cancellationToken);
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
