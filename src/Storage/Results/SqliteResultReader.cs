using System.Runtime.CompilerServices;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Database.Sqlite;

namespace EfficientNet.Batch.Storage.Results;

/// <summary>
/// Streams a run's results from SQLite with one data reader, ordered by key (SQLite sorts, spilling to its temp
/// files; this process holds one row at a time). Only images with a result are exported: images of shards that
/// have not completed (pending, running, or skipped after a cancel) have neither a prediction nor a failure and
/// are left out; <see cref="Runs.IRunStore.GetProgressAsync"/> says how many. When an image has both (a
/// re-published shard that succeeded the second time), the prediction wins. Embeddings are not sorted with the rows:
/// <see cref="EmbeddingBatches"/> reads them by primary key, a batch at a time, on a second connection.
/// </summary>
public sealed class SqliteResultReader : IResultReader
{
    // ORDER BY key uses SQLite's BINARY collation: UTF-8 byte order, the same on every machine.
    private const string Query =
        """
        SELECT i.key, 1, p.top_indices, p.top_probabilities, NULL, NULL, p.image_id
        FROM predictions p JOIN images i ON i.id = p.image_id
        WHERE p.run_id = $run
        UNION ALL
        SELECT i.key, 0, NULL, NULL, f.stage, f.reason, NULL
        FROM failures f JOIN images i ON i.id = f.image_id
        WHERE f.run_id = $run
          AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.run_id = f.run_id AND p.image_id = f.image_id)
        ORDER BY 1
        """;

    private const string EmbeddingsQuery =
        "SELECT image_id, embedding FROM predictions WHERE run_id = $run AND image_id IN (SELECT value FROM json_each($images)) AND embedding IS NOT NULL";

    private readonly SqliteDatabase _database;

    public SqliteResultReader(SqliteDatabase database)
    {
        _database = database;
    }

    public IAsyncEnumerable<ExportRow> ReadAsync(Guid runId, bool withEmbeddings, CancellationToken cancellationToken) =>
        EmbeddingBatches.ReadAsync(ReadRowsAsync(runId, cancellationToken), withEmbeddings ? (ids, ct) => ReadEmbeddingsAsync(runId, ids, ct) : null, cancellationToken);

    private async IAsyncEnumerable<(ExportRow Row, long? PredictionImageId)> ReadRowsAsync(
        Guid runId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Query;
        command.Parameters.AddWithValue("$run", SqliteValues.Uuid(runId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = reader.GetString(0);
            yield return reader.GetInt32(1) == 1
                ? (new ExportRow(
                    key,
                    Ok: true,
                    ArrayBlob.FromBytes<int>(reader.GetFieldValue<byte[]>(2)),
                    ArrayBlob.FromBytes<float>(reader.GetFieldValue<byte[]>(3)),
                    FailureStage: null,
                    FailureReason: null), reader.GetInt64(6))
                : (new ExportRow(key, Ok: false, [], [], reader.GetString(4), reader.GetString(5)), null);
        }
    }

    private async Task<Dictionary<long, byte[]>> ReadEmbeddingsAsync(Guid runId, long[] imageIds, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = EmbeddingsQuery;
        command.Parameters.AddWithValue("$run", SqliteValues.Uuid(runId));
        command.Parameters.AddWithValue("$images", SqliteValues.JsonArray(imageIds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var embeddings = new Dictionary<long, byte[]>(imageIds.Length);
        while (await reader.ReadAsync(cancellationToken))
        {
            embeddings[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
        }

        return embeddings;
    }
}
